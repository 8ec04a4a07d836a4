#!/usr/bin/env node
// npm run build: the server (tsc), the browser code's type check (tsc -p tsconfig.browser.json)
// and the demo bundle (scripts/build-demo.js), into dist/.
//
// --if-stale (npm run cli, dev, start): build only when an input changed since the last
// successful build, so `npm run cli -- --help` does not pay for a type check every time.
// Inputs are every file and folder under src/, test/, bench/ and scripts/ (a folder's time
// changes when a file in it is added, removed or renamed), the tsconfigs, package.json and
// package-lock.json (the bundle holds code from node_modules). A successful build leaves
// dist/.build-stamp, dated from when it started; `npm run build` always builds. A built dist/
// then runs with `npm start` even where the dev dependencies (TypeScript) are not installed.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const STAMP = path.join(root, 'dist', '.build-stamp');
const INPUT_DIRS = ['src', 'test', 'bench', 'examples', 'scripts'];
const INPUT_FILES = ['tsconfig.json', 'tsconfig.browser.json', 'package.json', 'package-lock.json'];

function mtimeOf(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function newestUnder(dir) {
  let newest = mtimeOf(dir);
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return newest;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestUnder(full) : mtimeOf(full));
  }
  return newest;
}

function isStale() {
  const built = mtimeOf(STAMP);
  if (built === 0) return true;
  const inputs = [...INPUT_DIRS.map((dir) => newestUnder(path.join(root, dir))), ...INPUT_FILES.map((file) => mtimeOf(path.join(root, file)))];
  return Math.max(...inputs) > built;
}

/** Runs a build step; in --if-stale mode its output goes to stderr, keeping stdout for the command. */
function run(label, args, stdout) {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: ['inherit', stdout, 'inherit'] });
  if (result.status !== 0) {
    process.stderr.write(`build: ${label} failed\n`);
    process.exit(result.status ?? 1);
  }
}

function resolveTsc() {
  try {
    return require.resolve('typescript/bin/tsc', { paths: [root] });
  } catch {
    process.stderr.write('build: dist/ is missing or older than the sources, and TypeScript is not installed: run npm ci (with the dev dependencies), then npm run build.\n');
    process.exit(1);
  }
}

/**
 * tsc never deletes what it once emitted: a test whose source was removed or moved would still
 * be found under dist/test and run. Drop every compiled file whose .ts source is gone.
 */
function removeOrphans(dir = path.join(root, 'dist')) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (full !== path.join(root, 'dist', 'demo')) removeOrphans(full);
      continue;
    }
    const compiled = /^(.*)\.(js|js\.map|d\.ts)$/.exec(entry.name);
    if (!compiled) continue;
    const source = path.join(root, path.relative(path.join(root, 'dist'), dir), `${compiled[1]}.ts`);
    if (!fs.existsSync(source)) fs.rmSync(full);
  }
}

function build(stdout) {
  const started = new Date();
  fs.rmSync(STAMP, { force: true });
  const tsc = resolveTsc();
  run('tsc -p tsconfig.json', [tsc, '-p', 'tsconfig.json'], stdout);
  removeOrphans();
  run('tsc -p tsconfig.browser.json', [tsc, '-p', 'tsconfig.browser.json'], stdout);
  run('the demo bundle (scripts/build-demo.js)', [path.join(__dirname, 'build-demo.js')], stdout);
  // Dated from the start: a file saved while tsc ran is newer, and is built next time.
  fs.writeFileSync(STAMP, `${started.toISOString()}\n`);
  fs.utimesSync(STAMP, started, started);
}

const ifStale = process.argv.includes('--if-stale');
if (!ifStale) {
  build('inherit');
} else if (isStale()) {
  process.stderr.write('build: sources changed since the last build, building first…\n');
  build(process.stderr);
}
