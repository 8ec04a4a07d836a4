import type { ApolloServerPlugin } from '@apollo/server';
import { ErrorCode } from '../errors';

/**
 * A response carrying SERVICE_UNAVAILABLE (the database stayed locked or unwritable for the
 * bounded wait) goes out as HTTP 503 with Retry-After (RFC 9110 §15.6.4, §10.2.3), so that load
 * balancers, proxies and generic HTTP clients back off as they would for any overloaded server.
 * The body is the usual GraphQL result, so GraphQL clients read the same code and `retryAfter`.
 */
export function unavailableStatusPlugin<T extends object>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const unavailable = response.body.singleResult.errors?.find((error) => error.extensions?.code === ErrorCode.SERVICE_UNAVAILABLE);
          if (!unavailable) return;
          response.http.status = 503;
          const retryAfter = unavailable.extensions?.retryAfter;
          if (typeof retryAfter === 'number') response.http.headers.set('retry-after', String(retryAfter));
        },
      };
    },
  };
}
