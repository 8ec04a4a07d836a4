import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
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
import { createCompiledQueries, DEFAULT_QUERY_COMPILATION, type QueryCompilation } from './compiled-queries';
import { compiledQueriesPlugin } from './compiled-queries-plugin';
import { observationPlugin } from './request-log';
import { unavailableStatusPlugin } from './unavailable-status';

export interface ApolloOptions {
  observing: boolean;
  queryCompilation?: QueryCompilation;
}

export function createApolloServer(schema: GraphQLSchema, config: Config, logger: Logger, options: ApolloOptions = { observing: true }): ApolloServer<RequestContext> {
  // Depth, aliases, directives, tokens and cost are refused before execution (security.md #30).
  const limits = createGraphqlLimits();
  const formatError = createFormatError(logger, { production: config.production });
  return new ApolloServer<RequestContext>({
    schema,
    introspection: config.introspectionEnabled,
    includeStacktraceInErrorResponses: false,
    // Production: no "Did you mean ...?" hints that map the schema for an attacker.
    hideSchemaDetailsFromClientErrors: config.production,
    // Refuses simple (form, text/plain) POSTs and unsigned GETs before any resolver runs.
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    formatError,
    // No automatic persisted queries: Keycard's clients send the query text (a few hundred
    // bytes), and APQ would let any caller write into the server's cache. A request that asks
    // for one is the client's mistake (BAD_USER_INPUT, reason PERSISTED_QUERY_NOT_SUPPORTED).
    persistedQueries: false,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    logger,
    plugins: apolloPlugins({ schema, config, logger, options, formatError, limitPlugins: limits.plugins }),
  });
}

/** Every plugin of the server, in order; test/schema/compiled-queries.test.ts reads their hooks. */
export function apolloPlugins(deps: {
  schema: GraphQLSchema;
  config: Config;
  logger: Logger;
  options: ApolloOptions;
  formatError: ReturnType<typeof createFormatError>;
  limitPlugins: ApolloServerPlugin[];
}): ApolloServerPlugin<RequestContext>[] {
  const { schema, config, logger, options, formatError } = deps;
  // Queries run compiled by graphql-jit once they are in use (src/http/compiled-queries.ts). Not
  // with tracing on: OpenTelemetry's instrumentation traces graphql-js's execute and resolvers,
  // and would see nothing of a compiled query.
  const compiledQueries = config.tracing ? [] : [compiledQueriesPlugin(createCompiledQueries(schema, logger, options.queryCompilation ?? DEFAULT_QUERY_COMPILATION), formatError)];
  return [
    ...(deps.limitPlugins as ApolloServerPlugin<RequestContext>[]),
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
    ...compiledQueries,
  ];
}
