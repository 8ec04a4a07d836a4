import { rule } from 'graphql-shield';
import type { GraphQLResolveInfo } from 'graphql';
import type { RequestContext } from '../context';

/** A rule decided from the parent, the arguments and the context alone: no I/O, no promise. */
export type SyncRuleFunction = (parent: never, args: never, ctx: RequestContext, info: GraphQLResolveInfo) => boolean | string | Error;

const syncFunctions = new WeakMap<object, SyncRuleFunction>();

/**
 * A graphql-shield rule whose function is known to be synchronous. It is an ordinary shield
 * rule in the tree; src/permissions/apply-permissions.ts may enforce it with a synchronous guard of the
 * same semantics instead of shield's async wrapper, which costs a promise per field per item
 * (graphql-shield #416, #1522).
 */
export function syncRule(options: Parameters<typeof rule>[0]) {
  return (fn: SyncRuleFunction) => {
    const shieldRule = rule(options)(fn as Parameters<ReturnType<typeof rule>>[0]);
    syncFunctions.set(shieldRule, fn);
    return shieldRule;
  };
}

export function syncFunctionOf(shieldRule: unknown): SyncRuleFunction | undefined {
  return typeof shieldRule === 'object' && shieldRule !== null ? syncFunctions.get(shieldRule) : undefined;
}
