#!/usr/bin/env node
/**
 * npm test: the whole non-browser suite twice, on SQLite and then on PostgreSQL
 * (TEST_DATABASE=postgres: every app, storage and CLI workspace of a test gets a fresh database
 * of its own on the test server), so "the same behaviour on both" is checked by every test.
 *
 *   node scripts/test.mjs                 both passes (one PostgreSQL server for the run)
 *   node scripts/test.mjs sqlite          the SQLite pass only
 *   node scripts/test.mjs postgres        the PostgreSQL pass only
 *
 * Run from dist/ (npm run build first). Each pass is `node --test --test-concurrency=2` over
 * dist/test/**\/*.test.js outside dist/test/browser, under scripts/with-postgres.mjs (the
 * SQLite pass has PostgreSQL tests too: the repository contract runs on both). Both passes run
 * even when the first fails; exits 1 if either failed, after a summary line per pass.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIALECTS = ['sqlite', 'postgres'];
const requested = process.argv.slice(2);
for (const dialect of requested) {
  if (!DIALECTS.includes(dialect)) {
    process.stderr.write(`usage: node scripts/test.mjs [sqlite] [postgres] (got "${dialect}")\n`);
    process.exit(2);
  }
}
const passes = requested.length > 0 ? requested : DIALECTS;

function testFiles(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (path.relative(root, full) !== path.join('dist', 'test', 'browser')) found.push(...testFiles(full));
    } else if (entry.name.endsWith('.test.js')) {
      found.push(path.relative(root, full));
    }
  }
  return found;
}
const files = testFiles(path.join(root, 'dist', 'test')).sort();
if (files.length === 0) {
  process.stderr.write('test: no test files under dist/test: run npm run build first\n');
  process.exit(1);
}

/** The signal that interrupted the run, if one did: it is passed on to the pass running, and no next pass starts. */
let interrupted = null;

/** Runs one pass; its output goes through, and node's closing summary (tests … duration_ms) is kept. */
function runPass(dialect) {
  const started = Date.now();
  const args = [path.join(root, 'scripts', 'with-postgres.mjs'), process.execPath, '--test', '--test-concurrency=2', ...files];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TEST_DATABASE: dialect } });
  const forward = (signal) => {
    interrupted = signal;
    child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  let tail = '';
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  });
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      const summary = tail
        .split('\n')
        .filter((line) => /^(ℹ|#) (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /.test(line))
        .join('\n');
      resolve({ dialect, code: code ?? 1, signal, seconds: (Date.now() - started) / 1000, summary });
    });
  });
}

const results = [];
for (const dialect of passes) {
  process.stdout.write(`\n=== test pass: ${dialect} (${files.length} files) ===\n`);
  results.push(await runPass(dialect));
  if (interrupted) break;
}
process.stdout.write('\n=== summary ===\n');
for (const result of results) {
  const verdict = result.code === 0 ? 'passed' : `FAILED (exit ${result.signal ?? result.code})`;
  process.stdout.write(`${result.dialect}: ${verdict} in ${result.seconds.toFixed(1)} s\n${result.summary.replace(/^/gm, '  ')}\n`);
}
process.exit(interrupted ? 128 + os.constants.signals[interrupted] : results.every((result) => result.code === 0) ? 0 : 1);
