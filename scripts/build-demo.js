#!/usr/bin/env node
// Build step (npm run build): bundles the /demo page's script, and with it the client SDK, for
// the browser. The development server serves the file; production never serves the demo, so
// esbuild stays a build-time devDependency.
'use strict';
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
// Keep in step with DEMO_SCRIPT_FILE in src/http/demo.ts.
const outfile = path.join(root, 'dist', 'demo', 'app.js');

esbuild
  .build({
    absWorkingDir: root,
    entryPoints: ['src/http/demo-app.ts'],
    tsconfig: 'tsconfig.browser.json',
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    legalComments: 'none',
    logLevel: 'warning',
  })
  .catch(() => {
    // esbuild has already printed what went wrong.
    process.exit(1);
  });
