#!/usr/bin/env node
// Build step (npm run build, after tsc): bundles the /demo page's script, and with it the
// client SDK, for the browser. The development server serves the file; production never
// serves the demo, so esbuild stays a build-time devDependency.
'use strict';
const path = require('node:path');

const root = path.resolve(__dirname, '..');
// Keep in step with DEMO_SCRIPT_FILE in src/http/demo.ts.
const DEMO_SCRIPT_FILE = path.join(root, 'dist', 'demo', 'app.js');

/** Resolves when dist/demo/app.js is written; rejects after esbuild printed what went wrong. */
async function buildDemo() {
  const esbuild = require('esbuild');
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: ['src/http/demo-app.ts'],
    tsconfig: 'tsconfig.browser.json',
    outfile: DEMO_SCRIPT_FILE,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    legalComments: 'none',
    logLevel: 'warning',
  });
}

module.exports = { buildDemo, DEMO_SCRIPT_FILE };

if (require.main === module) {
  buildDemo().catch(() => process.exit(1));
}
