import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestOrigin } from '../../audit/audit-event';
import { ErrorCode, KeycardError } from '../../errors';
import type { Logger } from '../../logger';
import { readForm, type OAuthForm } from './form';
import { OAuthError, sendOAuthError, sendOAuthJson } from './oauth-error';

/** What a handler of an OAuth endpoint gets: the request, where it came from, its form on demand. */
export interface OAuthExchange {
  readonly req: IncomingMessage;
  readonly origin: RequestOrigin;
  /** JWT_ISSUER as a URL without a trailing slash (src/http/oauth/issuer.ts). */
  readonly issuer: string;
  header(name: string): string | undefined;
  /** The form-encoded body (form.ts); throws OAuthError invalid_request for anything else. */
  form(): Promise<OAuthForm>;
}

/** A JSON answer; `Cache-Control: no-store` is added by the router. */
export interface OAuthReply {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
}

export type OAuthHandler = (exchange: OAuthExchange) => Promise<OAuthReply>;

export interface OAuthRoute {
  method: 'GET' | 'POST';
  path: string;
  handler: OAuthHandler;
  /** Counted against the per-IP limit of the OAuth endpoints (every POST endpoint; not the public metadata). */
  rateLimited: boolean;
}

export interface OAuthRouterDeps {
  issuer: string;
  routes: readonly OAuthRoute[];
  /** Takes one point of the caller's IP; throws RATE_LIMITED (a KeycardError with retryAfter) over the limit. */
  rateLimit(origin: RequestOrigin): Promise<void>;
  originOf(req: IncomingMessage): RequestOrigin;
  logger: Logger;
}

/**
 * The /oauth/* endpoints and the RFC 8414 metadata, as a table of `{ method, path, handler }`:
 * an endpoint plugs in with one row. Answers are JSON with `Cache-Control: no-store`; errors
 * have the standard body `{error, error_description}`. Returns false for a path it does not serve.
 */
export function createOAuthRouter(deps: OAuthRouterDeps) {
  const byPath = new Map<string, OAuthRoute[]>();
  for (const route of deps.routes) byPath.set(route.path, [...(byPath.get(route.path) ?? []), route]);

  return async function route(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
    const routes = byPath.get(pathname);
    if (!routes) return false;
    const allowed = routes.map((r) => r.method);
    const match = routes.find((r) => r.method === req.method);
    try {
      if (!match) {
        req.resume();
        throw new OAuthError(405, 'invalid_request', `Use ${allowed.join(' or ')}.`, { allow: allowed.join(', ') });
      }
      const origin = deps.originOf(req);
      if (match.rateLimited) {
        try {
          await deps.rateLimit(origin);
        } catch (error) {
          if (error instanceof KeycardError && error.code === ErrorCode.RATE_LIMITED) {
            req.resume();
            const retryAfter = String(error.extensions.retryAfter ?? 1);
            throw new OAuthError(429, 'temporarily_unavailable', `Too many requests: retry after ${retryAfter} seconds.`, { 'retry-after': retryAfter });
          }
          throw error;
        }
      }
      const reply = await match.handler({
        req,
        origin,
        issuer: deps.issuer,
        header: (name) => {
          const value = req.headers[name.toLowerCase()];
          return Array.isArray(value) ? value[0] : value;
        },
        form: () => readForm(req),
      });
      sendOAuthJson(res, reply.status ?? 200, reply.body, reply.headers);
    } catch (error) {
      if (error instanceof OAuthError) {
        sendOAuthError(res, error);
        return true;
      }
      deps.logger.error({ err: error, path: pathname }, 'unhandled error in an OAuth endpoint');
      sendOAuthError(res, new OAuthError(500, 'server_error', 'Internal server error.'));
    }
    return true;
  };
}

export type OAuthRouter = ReturnType<typeof createOAuthRouter>;
