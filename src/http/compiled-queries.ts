import { BREAK, visit, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../logger';

export interface QueryCompilation {
  /**
   * Executions of a query document by graphql-js before it is compiled. 1 (the default): a
   * document is compiled on its second use, so a query sent once, as most of a prober's are,
   * never pays for a compilation.
   */
  afterUses: number;
  /**
   * Compiled documents kept, least recently used dropped first. One costs 13-45 KB of heap (a
   * `me` query, a 100-user page with every field; measured over 500 of each): a client's
   * operations are a few dozen documents, and 200 of the largest kind stay under 9 MB.
   */
  maxCompiled: number;
}

export const DEFAULT_QUERY_COMPILATION: QueryCompilation = { afterUses: 1, maxCompiled: 200 };

/** What Apollo Server knows of a request once it has resolved the operation. */
export interface ResolvedRequest {
  document: DocumentNode;
  /** Undefined when the document names no such operation: graphql-js words that error. */
  operation: OperationDefinitionNode | undefined;
  /** The resolved operation's own name (null when it has none), as Apollo reports it. */
  operationName: string | null | undefined;
  /** Apollo Server's SHA-256 of the query text. */
  queryHash: string;
}

/**
 * The queries graphql-jit runs, compiled once for the schema: an operation becomes one
 * JavaScript function, which does not walk the document again for each object of the result.
 * On a 100-item list it executes ~10x faster than graphql-js (README, "Performance"). The
 * resolvers, the permission guards and the scalars are the same functions; only the walk is
 * generated.
 *
 * `compiledFor` answers null, and graphql-js executes, for:
 *  - mutations (run one field at a time, their cost is the work they do, never the walk);
 *  - introspection (`__schema`, `__type`): exempt from the cost limit, and its generated code
 *    is large (~18 ms to compile the Sandbox's query, against 0.8 ms to parse and validate it);
 *  - a document in its first `afterUses` executions, and one graphql-jit cannot compile.
 *
 * One rule follows for the schema: a field without a resolver of its own must hold a plain
 * value. graphql-jit reads it inline, where graphql-js would await a promise or call a function.
 */
export function createCompiledQueries(schema: GraphQLSchema, logger: Logger, compilation: QueryCompilation = DEFAULT_QUERY_COMPILATION) {
  // Keyed by Apollo's hash of the query text (SHA-256) and the operation's name. The uses are
  // counted apart, so that documents sent once cannot push compiled ones out. false: not compilable.
  const compiledQueries = new LRUCache<string, CompiledQuery | false>({ max: compilation.maxCompiled });
  const uses = new LRUCache<string, number>({ max: compilation.maxCompiled * 5 });

  function lookUp(key: string, document: DocumentNode, operationName: string | undefined): CompiledQuery | null {
    const known = compiledQueries.get(key);
    if (known !== undefined) return known || null;
    const used = uses.get(key) ?? 0;
    if (used < compilation.afterUses) {
      uses.set(key, used + 1);
      return null;
    }
    uses.delete(key);
    const compiled = compile(document, operationName);
    compiledQueries.set(key, compiled ?? false);
    return compiled;
  }

  function compile(document: DocumentNode, operationName: string | undefined): CompiledQuery | null {
    if (readsIntrospection(document)) return null;
    try {
      const compiled = compileQuery(schema, document, operationName);
      if (isCompiledQuery(compiled)) {
        logger.debug({ operation: operationName ?? null }, 'query compiled by graphql-jit');
        return compiled;
      }
      logger.warn({ errors: compiled.errors?.map((error) => error.message) }, 'graphql-jit cannot compile a query; graphql-js executes it');
    } catch (error) {
      logger.warn({ err: error }, 'graphql-jit failed to compile a query; graphql-js executes it');
    }
    return null;
  }

  return {
    compiledFor(request: ResolvedRequest): CompiledQuery | null {
      if (request.operation?.operation !== 'query') return null;
      const operationName = request.operationName ?? undefined;
      return lookUp(operationName === undefined ? request.queryHash : `${request.queryHash}:${operationName}`, request.document, operationName);
    },
  };
}

function readsIntrospection(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}
