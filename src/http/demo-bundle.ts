import type * as Esbuild from 'esbuild';

/**
 * Bundles the demo page's script, and with it the real client SDK, for the browser. Built in
 * memory on first request, so no generated file is committed and production (where the demo
 * is off) never loads esbuild, a development-only tool.
 */
export async function bundleDemoScript(): Promise<string> {
  let esbuild: typeof Esbuild;
  try {
    esbuild = require('esbuild') as typeof Esbuild;
  } catch {
    throw new Error('The /demo page needs esbuild to bundle the client SDK: install the dev dependencies (npm install).');
  }
  // The compiled sibling under dist/ (or the .ts source under a TypeScript loader).
  const entry = require.resolve('./demo-app');
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error('esbuild produced no output for the demo script');
  return output.text;
}
