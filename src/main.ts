import fs from 'node:fs';
import { ConfigError, loadConfig } from './config';
import type { Tracing } from './tracing';

/**
 * `npm run dev` / `npm start`: reads .env if present, parses config once, serves until a signal.
 * Only node:fs and the config are loaded before tracing starts: the app (node:http, graphql) is
 * required after it, so OpenTelemetry's instrumentations see those modules load (src/tracing.ts).
 */
async function main(): Promise<void> {
  if (fs.existsSync('.env')) process.loadEnvFile('.env');
  const config = loadConfig(process.env);
  const tracing: Tracing | null = config.tracing ? (require('./tracing') as typeof import('./tracing')).startTracing(config.tracing) : null;
  const { createApp } = require('./app') as typeof import('./app');
  const { servesDemo } = require('./http/demo') as typeof import('./http/demo');
  const { describeDatabase } = require('./storage/storage') as typeof import('./storage/storage');
  const app = await createApp(config);
  if (config.usingDevSecret) {
    console.warn('warning: KEYCARD_SECRET is not set; using the development secret. Never do this in production.');
  }
  const { url, metricsUrl } = await app.listen();
  console.log(`Database (DATABASE_URL): ${describeDatabase(config)}`);
  console.log(`Keycard listening on ${url}/graphql (${config.env})`);
  if (metricsUrl) console.log(`Metrics: ${metricsUrl}`);
  if (config.tracing) console.log(`Tracing: exporting spans to ${config.tracing.endpoint}`);
  if (config.sandboxEnabled) console.log(`Apollo Sandbox: open ${url}/graphql in a browser`);
  if (servesDemo(config)) console.log(`Demo page (the client SDK in cookie mode): open ${url}/demo in a browser`);

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`${signal}: shutting down (in-flight requests get up to ${config.shutdownTimeoutMs / 1000}s)`);
    app
      .close()
      .then(() => tracing?.shutdown())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error('keycard: shutdown failed:', error instanceof Error ? error.message : error);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

/**
 * What to do when the stored signing keys do not open. The usual cause: a database first
 * started by `npm run dev` (sealed with the development secret), now started by `npm start`.
 */
const SECRET_MISMATCH_ADVICE =
  'start with that secret, or give this run a database file of its own (e.g. DATABASE_URL=file:data/keycard-prod.db). A database first started by `npm run dev` without KEYCARD_SECRET is sealed with the development secret, which production refuses.';

main().catch((error: unknown) => {
  const { SigningKeyDecryptionError } = require('./keys/signing-keys') as typeof import('./keys/signing-keys');
  const { NoSigningKeyError } = require('./keys/key-set') as typeof import('./keys/key-set');
  if (error instanceof SigningKeyDecryptionError) {
    console.error(`keycard: ${error.message}; ${SECRET_MISMATCH_ADVICE}`);
  } else if (error instanceof ConfigError || error instanceof NoSigningKeyError) {
    console.error(`keycard: ${error.message}`);
  } else {
    console.error('keycard: failed to start:', error instanceof Error ? error.message : error);
  }
  process.exit(1);
});
