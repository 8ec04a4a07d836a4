import { defaultFieldResolver, isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { allow } from 'graphql-shield';
import { applyMiddleware } from 'graphql-middleware';
import { createPermissions, denied, permissionRules } from './permissions';
import { syncFunctionOf, type SyncRuleFunction } from './sync-rule';

type Resolver = GraphQLFieldResolver<unknown, unknown>;

/**
 * Enforces a synchronous rule the way graphql-shield's field middleware does (fallbackRule deny,
 * allowExternalErrors): true runs the resolver, an Error (or a string) is the field's error,
 * anything else or a throw is the fallback error. Only without the promise shield adds.
 */
function guard(decide: SyncRuleFunction, resolve: Resolver): Resolver {
  return (parent, args, ctx, info) => {
    let verdict: boolean | string | Error;
    try {
      verdict = decide(parent as never, args as never, ctx as never, info);
    } catch {
      verdict = false;
    }
    if (verdict === true) return resolve(parent, args, ctx, info);
    if (verdict instanceof Error) return verdict;
    if (typeof verdict === 'string') return new Error(verdict);
    return denied();
  };
}

/**
 * Applies the graphql-shield rule tree, the one place that states the rules, then makes its
 * trivial rules cheap to enforce: shield wraps every field in async middleware, which costs
 * ~60% of a 100-item list (graphql-shield #416, #1522). A field whose rule is the explicit
 * `allow` gets its own resolver back; a field whose rule is synchronous (src/permissions/sync-rule.ts)
 * gets a synchronous guard with shield's semantics. Every other field keeps shield's wrapper,
 * and a field without an entry keeps shield's fallback: deny by default is untouched.
 * test/permissions/apply-permissions.test.ts holds both ways to the same answers.
 */
export function applyPermissions(schema: GraphQLSchema): GraphQLSchema {
  const shielded = applyMiddleware(schema, createPermissions());
  const rules = permissionRules as Record<string, unknown>;
  for (const type of Object.values(shielded.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const entry = rules[type.name];
    const original = schema.getType(type.name);
    if (entry === undefined || !isObjectType(original)) continue;
    const originalFields = original.getFields();
    const typeRule = Object.getPrototypeOf(entry) === Object.prototype ? undefined : entry;
    for (const [name, field] of Object.entries(type.getFields())) {
      const fieldRule = typeRule ?? (entry as Record<string, unknown>)[name];
      const resolve = originalFields[name]?.resolve;
      if (fieldRule === allow) {
        field.resolve = resolve;
        continue;
      }
      const decide = syncFunctionOf(fieldRule);
      if (decide) field.resolve = guard(decide, resolve ?? defaultFieldResolver);
    }
  }
  return shielded;
}
