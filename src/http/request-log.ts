import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { RequestContext } from '../context';
import type { Logger } from '../logger';
import { NO_METRICS, type Metrics } from '../metrics';

/** What one request's log line and metrics say, filled in as the request learns it. */
export interface RequestObservation {
  readonly id: string;
  operationType?: string;
  /** As the client named it: logged (cut), never a metric label. */
  operationName?: string;
  rootField?: string;
  userId?: string;
}

/** A client's X-Request-Id is kept when it is a plain token (no log injection, bounded); else we make one. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const MAX_OPERATION_NAME = 100;
const MAX_PATH = 200;

/**
 * Whether anything reads what a request's observation gathers: the info log line or the
 * metrics. When neither does (LOG_LEVEL above info and no METRICS_PORT), the server skips the
 * observation and Apollo runs without its plugin: its per-request hooks were measured at a few
 * per cent of a `me` request (README, "Performance").
 */
export function isObserving(logger: Logger, metrics: Metrics): boolean {
  return logger.isLevelEnabled('info') || metrics !== NO_METRICS;
}

/**
 * Starts observing one request: writes X-Request-Id, and when the answer is done (or the client
 * went away) logs one line at info and observes the GraphQL histogram. Only the path is logged:
 * a GET's query string may carry variables.
 */
export function observeRequest(req: IncomingMessage, res: ServerResponse, pathname: string, deps: { logger: Logger; metrics: Metrics }): RequestObservation {
  const started = process.hrtime.bigint();
  const given = req.headers['x-request-id'];
  const observation: RequestObservation = { id: typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID() };
  res.setHeader('X-Request-Id', observation.id);
  res.once('close', () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const graphql = pathname === '/graphql' && req.method !== 'OPTIONS';
    if (graphql) {
      deps.metrics.graphqlRequest(
        { operationType: observation.operationType ?? 'unknown', rootField: observation.rootField ?? 'none', status: res.statusCode },
        seconds,
      );
    }
    deps.logger.info(
      {
        reqId: observation.id,
        method: req.method,
        path: pathname.slice(0, MAX_PATH),
        ...(graphql && { operationType: observation.operationType ?? null, operation: observation.operationName?.slice(0, MAX_OPERATION_NAME) ?? null }),
        status: res.statusCode,
        // The client went away before the whole answer was written.
        ...(!res.writableFinished && { aborted: true }),
        durationMs: Math.round(seconds * 1e4) / 10,
        userId: observation.userId ?? null,
      },
      'request',
    );
  });
  return observation;
}

/** The root field of a one-field operation (a schema name, so a bounded label); `multiple` otherwise. */
function rootFieldOf(operation: OperationDefinitionNode): string {
  const selections = operation.selectionSet.selections;
  if (selections.length === 1 && selections[0]!.kind === Kind.FIELD) return selections[0]!.name.value;
  return selections.length === 0 ? 'none' : 'multiple';
}

/** Tells the request's observation what the operation is once Apollo has validated it, and who proved themselves. */
export function observationPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ contextValue }) {
      const observation = contextValue.observation;
      if (!observation) return;
      return {
        async didResolveOperation({ operation, operationName }) {
          if (!operation) return;
          observation.operationType = operation.operation;
          observation.operationName = operationName ?? undefined;
          observation.rootField = rootFieldOf(operation);
        },
        async willSendResponse({ contextValue: context }) {
          // Signup, login and refresh prove a user within the request, with no bearer token.
          if (!observation.userId && context.provenUsers.size === 1) observation.userId = [...context.provenUsers][0];
        },
      };
    },
  };
}
