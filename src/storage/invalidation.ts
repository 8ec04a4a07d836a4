import type { ViewerStateChanges } from './viewer-state-cache';

/**
 * Every method of an object, its own and those it inherits (short of Object.prototype), sorted:
 * what invalidatingWrites wraps, and what the invalidation test enumerates.
 */
export function methodNames(object: object): string[] {
  const names = new Set<string>();
  for (let level: object | null = object; level !== null && level !== Object.prototype; level = Object.getPrototypeOf(level)) {
    for (const name of Object.getOwnPropertyNames(level)) {
      if (name !== 'constructor' && typeof (object as Record<string, unknown>)[name] === 'function') names.add(name);
    }
  }
  return [...names].sort();
}

/**
 * The repository as callers get it: every method that is not one of its declared `reads` (or of
 * the few writes declared unable to change a cached viewer state, each proved by a test) bumps
 * `changes` once it has settled (resolved or thrown), so the session check's cache never serves
 * a viewer state read before it. This is the only place users and sessions writes are followed
 * by a bump, and it fails safe: a method added to a repository later is a write until it is
 * declared a read. The bump comes after the write has committed (a bump before it would let a
 * read in between cache the old state under the new version); a failed write costs one cache
 * miss, never a stale answer.
 */
export function invalidatingWrites<R extends object>(
  repository: R,
  declared: { reads: readonly string[]; keepingViewerStates: readonly string[]; optional?: readonly string[] },
  changes: ViewerStateChanges,
): R {
  const methods = methodNames(repository);
  const passThrough = [...declared.reads, ...declared.keepingViewerStates];
  const optional = declared.optional ?? [];
  const unknown = passThrough.filter((name) => !methods.includes(name) && !optional.includes(name));
  if (unknown.length > 0) throw new Error(`declared reads or keeping writes that are not methods of the repository: ${unknown.join(', ')}`);
  const wrapped: Record<string, unknown> = {};
  for (const name of methods) {
    const method = (repository as Record<string, (...args: unknown[]) => unknown>)[name]!;
    wrapped[name] = passThrough.includes(name)
      ? method.bind(repository)
      : async (...args: unknown[]) => {
          try {
            return await method.apply(repository, args);
          } finally {
            changes.bump();
          }
        };
  }
  return Object.freeze(wrapped) as R;
}
