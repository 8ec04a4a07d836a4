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
import { observationPlugin } from './request-log';
import { unavailableStatusPlugin } from './unavailable-status';

export function createApolloServer(schema: GraphQLSchema, config: Config, logger: Logger, options: { observing: boolean } = { observing: true }): ApolloServer<RequestContext> {
  // Depth, aliases, directives, tokens and cost are refused before execution (security.md #30).
  const limits = createGraphqlLimits({ production: config.production });
  return new ApolloServer<RequestContext>({
    schema,
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
