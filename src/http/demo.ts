import type { ServerResponse } from 'node:http';
import { bundleDemoScript } from './demo-bundle';
import { DEMO_PAGE_HTML } from './demo-page';

export const DEMO_PATHS = ['/demo', '/demo/app.js'] as const;

/**
 * Only our own origin may run script, fetch or frame here. The page is served from the API's
 * origin on purpose: the refresh cookie is __Host- and SameSite=Strict, so only same-origin
 * pages ever send it.
 */
const DEMO_CSP = "default-src 'none'; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The development demo (GET /demo): the SDK in cookie mode, in a real page. Never mounted in production. */
export function createDemoRoutes() {
  let script: Promise<string> | null = null;

  function send(res: ServerResponse, contentType: string, body: string): void {
    res.writeHead(200, {
      'content-type': contentType,
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      'content-security-policy': DEMO_CSP,
    });
    res.end(body);
  }

  return {
    async serve(method: string | undefined, pathname: string, res: ServerResponse): Promise<void> {
      if (method !== 'GET' && method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (pathname === '/demo') {
        send(res, 'text/html; charset=utf-8', DEMO_PAGE_HTML);
        return;
      }
      // Built once per server, on first use: a failed build is retried on the next request.
      script ??= bundleDemoScript().catch((error: unknown) => {
        script = null;
        throw error;
      });
      send(res, 'text/javascript; charset=utf-8', await script);
    },
  };
}
