import { Kind, parse, print, visit, type ConstDirectiveNode, type DefinitionNode, type FieldDefinitionNode } from 'graphql';
import { isTypePolicy, policyTable, SESSION, type FieldPolicy } from './permissions';

/**
 * The SDL directives that GraphQL routers and gateways enforce in front of us (Apollo Router,
 * Hive Router, envelop's useGenericAuth): `@authenticated` on a field that needs a signed-in
 * caller, `@requiresScopes(scopes: [[...]])` on a field that needs a scope (the outer list is
 * OR, the inner AND). Generated from policyTable, the same table as the shield rules, so the two
 * cannot drift; test/permissions/directives.test.ts holds them to each other.
 *
 * A session-only field (SESSION) gets `@authenticated` alone: no scope expresses "not an API
 * token", so that check stays ours.
 */
export const AUTH_DIRECTIVE_DEFINITIONS = `"""The field needs an authenticated caller."""
directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM

"""The caller's token needs every scope of one of the inner lists (outer list: OR, inner: AND)."""
directive @requiresScopes(scopes: [[String!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
`;

export interface FieldDirectives {
  authenticated: boolean;
  /** The scopes of @requiresScopes as its argument reads: one alternative of one scope, or null for none. */
  requiresScopes: string[][] | null;
}

/** What the SDL says about one field, from its policy; a field of a whole-type policy (or unknown) says nothing. */
export function directivesOf(typeName: string, fieldName: string): FieldDirectives {
  const entry = (policyTable as Record<string, unknown>)[typeName];
  if (entry === undefined || isTypePolicy(entry)) return { authenticated: false, requiresScopes: null };
  const policy = (entry as Record<string, FieldPolicy | undefined>)[fieldName];
  if (!policy) return { authenticated: false, requiresScopes: null };
  const scope = policy.requires !== null && policy.requires !== SESSION ? policy.requires : null;
  return {
    authenticated: policy.access.needsViewer,
    // A public field that narrows only API tokens (logout) carries no scope: a router would refuse its anonymous callers.
    requiresScopes: scope !== null && (policy.access.needsViewer || policy.access.name === 'noBadToken') ? [[scope]] : null,
  };
}

function directiveNodes(directives: FieldDirectives): ConstDirectiveNode[] {
  const nodes: ConstDirectiveNode[] = [];
  if (directives.authenticated) nodes.push({ kind: Kind.DIRECTIVE, name: { kind: Kind.NAME, value: 'authenticated' }, arguments: [] });
  if (directives.requiresScopes) {
    nodes.push({
      kind: Kind.DIRECTIVE,
      name: { kind: Kind.NAME, value: 'requiresScopes' },
      arguments: [
        {
          kind: Kind.ARGUMENT,
          name: { kind: Kind.NAME, value: 'scopes' },
          value: {
            kind: Kind.LIST,
            values: directives.requiresScopes.map((all) => ({ kind: Kind.LIST, values: all.map((scope) => ({ kind: Kind.STRING, value: scope })) })),
          },
        },
      ],
    });
  }
  return nodes;
}

/** The SDL with the directive definitions first and each object field carrying its directives. */
export function withAuthDirectives(sdl: string): string {
  const document = parse(sdl);
  let typeName = '';
  const annotated = visit(document, {
    ObjectTypeDefinition: {
      enter(node) {
        typeName = node.name.value;
      },
    },
    FieldDefinition(node: FieldDefinitionNode) {
      const extra = directiveNodes(directivesOf(typeName, node.name.value));
      return extra.length === 0 ? undefined : { ...node, directives: [...(node.directives ?? []), ...extra] };
    },
  });
  const definitions = parse(AUTH_DIRECTIVE_DEFINITIONS).definitions as DefinitionNode[];
  return print({ ...annotated, definitions: [...definitions, ...annotated.definitions] }) + '\n';
}
