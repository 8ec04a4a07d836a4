import { BREAK, execute, GraphQLError, Kind, visit, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { GatewayExecutor } from '@apollo/server-gateway-interface';
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

/**
 * Executes queries with graphql-jit, which compiles an operation into one JavaScript function
 * for the schema: ~10x faster than graphql-js on a 100-item list (README, "Performance"), because
 * it does not walk the document for every object of the result. The resolvers, the permission
 * guards and the scalars are the same functions; only the walk is generated.
 *
 * graphql-js still executes:
 *  - mutations (run one field at a time, their cost is the work they do, never the walk);
 *  - introspection (`__schema`, `__type`): exempt from the cost limit, and its generated code
 *    is large (~18 ms to compile the Sandbox's query, against 0.8 ms to parse and validate it);
 *  - a document in its first `afterUses` executions, and one graphql-jit cannot compile;
 *  - a request graphql-jit answers with a request error (a variable of the wrong type): graphql-js
 *    words those errors, and Apollo Server recognizes its words as BAD_USER_INPUT.
 *
 * test/schema/query-executor.test.ts runs every query of the client's operations and a set of
 * refusals through both and requires the same answers.
 */
export function createQueryExecutor(schema: GraphQLSchema, logger: Logger, compilation: QueryCompilation = DEFAULT_QUERY_COMPILATION): GatewayExecutor {
  // Keyed by Apollo's hash of the query text (SHA-256) and the operation's name. The uses are
  // counted apart, so that documents sent once cannot push compiled ones out. false: not compilable.
  const compiledQueries = new LRUCache<string, CompiledQuery | false>({ max: compilation.maxCompiled });
  const uses = new LRUCache<string, number>({ max: compilation.maxCompiled * 5 });

  function compiledFor(key: string, document: DocumentNode, operationName: string | undefined): CompiledQuery | null {
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
        logger.debug({ operation: operationName ?? operationNameIn(document) }, 'query compiled by graphql-jit');
        return compiled;
      }
      logger.warn({ errors: compiled.errors?.map((error) => error.message) }, 'graphql-jit cannot compile a query; graphql-js executes it');
    } catch (error) {
      logger.warn({ err: error }, 'graphql-jit failed to compile a query; graphql-js executes it');
    }
    return null;
  }

  return async (requestContext) => {
    const { document, operation, context, queryHash, request } = requestContext;
    const operationName = request.operationName ?? undefined;
    const variables = request.variables ?? {};
    // Undefined (despite its type) when the document names no such operation: graphql-js words that error.
    if ((operation as typeof operation | undefined)?.operation === 'query') {
      const compiled = compiledFor(`${queryHash}:${operationName ?? ''}`, document, operationName);
      if (compiled) {
        const result = (await compiled.query(undefined, context, variables)) as ExecutionResult;
        // No data at all is a request error, found before any resolver ran (GraphQL spec §7.1.2).
        if ('data' in result) return result.errors ? { ...result, errors: result.errors.map(asGraphQLJsError) } : result;
      }
    }
    return execute({ schema, document, contextValue: context, variableValues: variables, operationName });
  };
}

/**
 * graphql-jit's errors are not graphql-js's: their properties are read-only (graphql-armor's
 * plugin rewrites a message in place), and `extensions` is undefined when the cause has none (a
 * scalar that cannot serialize, a null in a non-null field), where Apollo Server reads
 * `extensions.code` of every error. Each becomes a graphql-js error with the same content.
 */
function asGraphQLJsError(error: GraphQLError): GraphQLError {
  const copy = new GraphQLError(error.message, { path: error.path, originalError: error.originalError ?? undefined, extensions: error.extensions ?? undefined });
  // graphql-jit knows the locations without the AST nodes graphql-js computes them from.
  (copy as { locations: GraphQLError['locations'] }).locations = error.locations;
  return copy;
}

/** The name of a document's one operation, for the log line of an anonymous request. */
function operationNameIn(document: DocumentNode): string | null {
  const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  return operation?.kind === Kind.OPERATION_DEFINITION ? (operation.name?.value ?? null) : null;
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
