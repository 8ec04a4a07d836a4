import fs from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import type { Config } from '../config';
import type { DevOutbox } from '../mail/outbox';
import { DEMO_PAGE_HTML } from './demo-page';

export const DEMO_PATHS = ['/demo', '/demo/app.js', '/demo/device', '/demo/oauth/callback'] as const;

/**
 * The pages mailed links open (APP_URL defaults to /demo in development): the same page, which
 * shows a confirm button and calls the mutation only when the person presses it, so a mail
 * scanner that fetches the link uses nothing.
 */
export const DEMO_LINK_PAGES = ['/demo/verify-email', '/demo/reset-password', '/demo/magic-link'] as const;

/** The dev outbox as JSON: only while there is one (development without SMTP_URL). */
export const DEMO_OUTBOX_PATH = '/demo/outbox';

/**
 * Where a provider sends the person back to the demo: the same page, whose script completes
 * the sign-in. Add `<origin>/demo/oauth/callback` to OAUTH_REDIRECT_URIS to try social login.
 */
export const DEMO_OAUTH_CALLBACK_PATH = '/demo/oauth/callback';

/**
 * The page's script, bundled with the client SDK by `npm run build` (scripts/build-demo.js).
 * From dist/src/http/ up to dist/.
 */
export const DEMO_SCRIPT_FILE = path.resolve(__dirname, '..', '..', 'demo', 'app.js');

/** The demo is a development aid: never mounted in production. */
export function servesDemo(config: Pick<Config, 'production'>): boolean {
  return !config.production;
}

/**
 * Only our own origin may run script, fetch or frame here. The page is served from the API's
 * origin on purpose: the refresh cookie is __Host- and SameSite=Strict, so only same-origin
 * pages ever send it.
 */
const DEMO_CSP = "default-src 'none'; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The development demo (GET /demo): the SDK in cookie mode, in a real page. */
export function createDemoRoutes(outbox: DevOutbox | null = null) {
  function send(res: ServerResponse, status: number, contentType: string, body: string | Buffer): void {
    res.writeHead(status, {
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
      // /demo/device is where the device flow's verification_uri points (APP_URL/device): the same page, its device section prefilled from ?user_code=.
      if (pathname === '/demo' || pathname === '/demo/device' || pathname === DEMO_OAUTH_CALLBACK_PATH || (DEMO_LINK_PAGES as readonly string[]).includes(pathname)) {
        send(res, 200, 'text/html; charset=utf-8', DEMO_PAGE_HTML);
        return;
      }
      if (pathname === DEMO_OUTBOX_PATH) {
        if (!outbox) {
          send(res, 404, 'application/json; charset=utf-8', JSON.stringify({ error: 'no dev outbox: SMTP_URL is set' }));
          return;
        }
        send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ mails: outbox.list() }));
        return;
      }
      // Read on each request, so a rebuild shows up without a restart (development only).
      let script: Buffer;
      try {
        script = await fs.readFile(DEMO_SCRIPT_FILE);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        send(res, 503, 'text/plain; charset=utf-8', `The demo script is not built: run npm run build (it writes ${path.relative(process.cwd(), DEMO_SCRIPT_FILE)}).\n`);
        return;
      }
      send(res, 200, 'text/javascript; charset=utf-8', script);
    },
  };
}
