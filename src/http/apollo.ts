import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginUsageReportingDisabled, ApolloServerPluginSchemaReportingDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { GraphQLSchema } from 'graphql';
import type { Config } from '../config';
import type { RequestContext } from '../context';
import type { Logger } from '../logger';
import { createFormatError } from './format-error';
import { createGraphqlLimits } from './graphql-limits';
import { createQueryExecutor, DEFAULT_QUERY_COMPILATION, type QueryCompilation } from './query-executor';
import { observationPlugin } from './request-log';
import { schemaGateway } from './schema-gateway';
import { unavailableStatusPlugin } from './unavailable-status';

export interface ApolloOptions {
  observing: boolean;
  queryCompilation?: QueryCompilation;
}

export function createApolloServer(schema: GraphQLSchema, config: Config, logger: Logger, options: ApolloOptions = { observing: true }): ApolloServer<RequestContext> {
  // Depth, aliases, directives, tokens and cost are refused before execution (security.md #30).
  const limits = createGraphqlLimits();
  // Queries run compiled by graphql-jit once they are in use (src/http/query-executor.ts). Not
  // with tracing on: OpenTelemetry's instrumentation traces graphql-js's execute and resolvers,
  // and would see nothing of a compiled query.
  const execution = config.tracing
    ? { schema }
    : { gateway: schemaGateway(schema, createQueryExecutor(schema, logger, options.queryCompilation ?? DEFAULT_QUERY_COMPILATION)) };
  return new ApolloServer<RequestContext>({
    ...execution,
    introspection: config.introspectionEnabled,
    includeStacktraceInErrorResponses: false,
    // Production: no "Did you mean ...?" hints that map the schema for an attacker.
    hideSchemaDetailsFromClientErrors: config.production,
    // Refuses simple (form, text/plain) POSTs and unsigned GETs before any resolver runs.
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    formatError: createFormatError(logger, { production: config.production }),
    // No automatic persisted queries: Keycard's clients send the query text (a few hundred
    // bytes), and APQ would let any caller write into the server's cache. A request that asks
    // for one is the client's mistake (BAD_USER_INPUT, reason PERSISTED_QUERY_NOT_SUPPORTED).
    persistedQueries: false,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    logger,
    plugins: [
      ...limits.plugins,
      ...(options.observing ? [observationPlugin()] : []),
      unavailableStatusPlugin(),
      // We use no cache hints; the default plugin walks every field (~45% of a list query).
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      config.sandboxEnabled
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: true, footer: false })
        : ApolloServerPluginLandingPageDisabled(),
    ],
  });
}
