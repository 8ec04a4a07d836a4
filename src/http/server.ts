import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import { parse as parseCookies } from 'cookie';
import type { Authentication } from '../sessions/session.service';
import { ConfigError, type Config } from '../config';
import type { RequestContext, Services } from '../context';
import type { Clock } from '../clock';
import type { KeySet } from '../keys/key-set';
import type { RequestOrigin } from '../audit/audit-event';
import { ErrorCode } from '../errors';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { BodyTooLargeError, readBody, RequestAbortedError } from './body';
import { clientIp } from './client-ip';
import { applyCors } from './cors';
import { createDemoRoutes, DEMO_LINK_PAGES, DEMO_OUTBOX_PATH, servesDemo } from './demo';
import type { DevOutbox } from '../mail/outbox';
import type { OAuthRouter } from './oauth/router';
import { isObserving, observeRequest, type RequestObservation } from './request-log';

export interface HttpDeps {
  config: Config;
  apollo: ApolloServer<RequestContext>;
  services: Services;
  keySet: KeySet;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** true when the storage answers (Storage.ping). */
  isStorageReady(): Promise<boolean>;
  /** The /oauth/* endpoints and their metadata; null when JWT_ISSUER is not a URL (they answer 404). */
  oauth?: OAuthRouter | null;
  /** The dev outbox (development without SMTP_URL), served at /demo/outbox. */
  outbox?: DevOutbox | null;
}

const MAX_USER_AGENT = 512;

export type KeycardServer = http.Server | https.Server;

/** An API answers JSON: nothing in it may load, run or be framed (OWASP REST Security cheat sheet). */
const API_CSP = "default-src 'none'; frame-ancestors 'none'";
/** Only over HTTPS: browsers ignore it on plain HTTP, and a proxy in front decides there (RFC 6797 §7.2). */
const HSTS = 'max-age=31536000; includeSubDomains';

/** Baseline headers on every response (OWASP Secure Headers). The Sandbox page drops the CSP: it loads Apollo's scripts. */
function setSecurityHeaders(res: ServerResponse, overTls: boolean): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Content-Security-Policy', API_CSP);
  if (overTls) res.setHeader('Strict-Transport-Security', HSTS);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function graphqlError(message: string, code: string, reason?: string) {
  return { errors: [{ message, extensions: { code, ...(reason ? { reason } : {}) } }] };
}

/** GraphQL over HTTP is GET and POST (OPTIONS for CORS preflights); anything else is 405 in our words. */
const GRAPHQL_METHODS = new Set(['GET', 'POST', 'OPTIONS']);

export function createRequestHandler(deps: HttpDeps) {
  const { config, apollo, services, keySet, logger, clock } = deps;
  const corsOrigins = new Set(config.corsOrigins);
  const demo = servesDemo(config) ? createDemoRoutes(deps.outbox ?? null) : null;

  const observing = isObserving(logger, deps.metrics);

  async function handleGraphql(req: IncomingMessage, res: ServerResponse, search: string, observation: RequestObservation | undefined): Promise<void> {
    // Tokens ride on these responses: no cache anywhere may keep them (RFC 6749 §5.1).
    res.setHeader('Cache-Control', 'no-store');
    let body: unknown = undefined;
    if (req.method === 'POST') {
      let raw: string;
      try {
        raw = await readBody(req, config.bodyLimitBytes);
      } catch (error) {
        if (error instanceof BodyTooLargeError) {
          sendJson(res, 413, graphqlError(`The request body is larger than ${config.bodyLimitBytes} bytes.`, ErrorCode.BAD_USER_INPUT), { connection: 'close' });
          return;
        }
        if (error instanceof RequestAbortedError) {
          // Anyone can open and drop connections: an error line with a stack each time would be a log flood.
          logger.debug({ method: req.method, path: '/graphql' }, error.message);
          return;
        }
        throw error;
      }
      const contentType = req.headers['content-type'] ?? '';
      if (/^application\/(graphql-response\+)?json\b/i.test(contentType)) {
        try {
          body = JSON.parse(raw);
        } catch {
          sendJson(res, 400, graphqlError('The request body is not valid JSON.', ErrorCode.BAD_USER_INPUT));
          return;
        }
      } else {
        body = raw;
      }
    }

    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const cookies = parseCookies(req.headers.cookie ?? '');
    const setCookies: string[] = [];
    const authorization = req.headers.authorization;

    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search, body },
      context: async (): Promise<RequestContext> => {
        const auth: Authentication = await services.sessions.authenticate(authorization);
        if (auth.viewer && observation) observation.userId = auth.viewer.userId;
        return {
          viewer: auth.viewer,
          authError: auth.authError,
          origin: requestOrigin(req, config.trustProxyHops),
          services,
          clock,
          http: {
            header: (name) => {
              const value = req.headers[name.toLowerCase()];
              return Array.isArray(value) ? value[0] : value;
            },
            cookie: (name) => cookies[name],
            setCookie: (cookie) => setCookies.push(cookie),
          },
          provenUsers: new Set(),
          observation,
        };
      },
    });

    res.statusCode = result.status ?? 200;
    for (const [name, value] of result.headers) res.setHeader(name, value);
    if (/^text\/html/i.test(result.headers.get('content-type') ?? '')) res.removeHeader('Content-Security-Policy');
    if (setCookies.length) res.setHeader('Set-Cookie', setCookies);
    if (result.body.kind === 'complete') {
      res.end(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) res.write(chunk);
    res.end();
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setSecurityHeaders(res, config.tls !== null);
    applyCors(req, res, corsOrigins);
    const url = new URL(req.url ?? '/', 'http://keycard.invalid');
    const observation = observing ? observeRequest(req, res, url.pathname, { logger, metrics: deps.metrics }) : undefined;
    try {
      if (deps.oauth && (url.pathname.startsWith('/oauth/') || url.pathname.startsWith('/.well-known/oauth-')) && (await deps.oauth(req, res, url.pathname))) return;
      switch (url.pathname) {
        case '/graphql':
          if (req.method === 'OPTIONS') {
            res.writeHead(204).end();
            return;
          }
          if (!GRAPHQL_METHODS.has(req.method ?? '')) {
            req.resume();
            sendJson(res, 405, graphqlError('Only GET and POST are supported.', ErrorCode.BAD_USER_INPUT, 'BAD_REQUEST'), { allow: 'GET, POST' });
            return;
          }
          await handleGraphql(req, res, url.search, observation);
          return;
        case '/healthz':
          sendJson(res, 200, { status: 'ok' });
          return;
        case '/readyz':
          if (await deps.isStorageReady()) sendJson(res, 200, { status: 'ready' });
          else sendJson(res, 503, { status: 'unavailable' });
          return;
        case '/.well-known/jwks.json':
          // Short enough that a rotation's new key is picked up before it signs anything.
          sendJson(res, 200, keySet.jwks(), { 'cache-control': 'public, max-age=300' });
          return;
        case '/demo':
        case '/demo/app.js':
        case '/demo/device':
        case DEMO_LINK_PAGES[0]:
        case DEMO_LINK_PAGES[1]:
        case DEMO_LINK_PAGES[2]:
        case DEMO_OUTBOX_PATH:
        case '/demo/oauth/callback':
          if (demo) await demo.serve(req.method, url.pathname, res);
          else sendJson(res, 404, { error: 'not found' });
          return;
        default:
          sendJson(res, 404, { error: 'not found' });
      }
    } catch (error) {
      logger.error({ err: error }, 'unhandled error in an HTTP request');
      if (!res.headersSent) sendJson(res, 500, graphqlError('Internal server error.', ErrorCode.INTERNAL_SERVER_ERROR));
      else res.end();
    }
  };
}

function readPem(file: string, variable: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new ConfigError(variable, `must be the path of a readable PEM ${what} file (cannot read ${JSON.stringify(file)}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
}

/** Native HTTPS when TLS_CERT_FILE and TLS_KEY_FILE are set; plain HTTP behind a TLS-terminating proxy otherwise. */
/** Where a request came from, as audit events and rate limits see it. */
export function requestOrigin(req: IncomingMessage, trustProxyHops: number): RequestOrigin {
  return { ip: clientIp(req, trustProxyHops), userAgent: req.headers['user-agent']?.slice(0, MAX_USER_AGENT) ?? null };
}

export function createHttpServer(deps: HttpDeps): KeycardServer {
  const handle = createRequestHandler(deps);
  const listener = (req: IncomingMessage, res: ServerResponse) => void handle(req, res);
  const options = { maxHeaderSize: 16 * 1024 };
  const { tls } = deps.config;
  let server: KeycardServer;
  if (tls) {
    const cert = readPem(tls.certFile, 'TLS_CERT_FILE', 'certificate');
    const key = readPem(tls.keyFile, 'TLS_KEY_FILE', 'private key');
    try {
      server = https.createServer({ ...options, cert, key, minVersion: 'TLSv1.2' }, listener);
    } catch {
      throw new ConfigError('TLS_KEY_FILE', 'must be the PEM private key of the certificate in TLS_CERT_FILE (the two files are not a matching pair)');
    }
  } else {
    server = http.createServer(options, listener);
  }
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}
