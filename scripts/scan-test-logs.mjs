#!/usr/bin/env node
/**
 * npm run test:logscan, after the suite ran with KEYCARD_TEST_LOG_DIR=<dir>: reads every log line
 * the test apps wrote (at trace) and fails if one holds something shaped like a credential: an
 * access token (a JWT), a refresh token (kcr_ + 43 characters), a bearer header, or the suite's
 * passwords. Prints the file and line of each, cut, never the whole secret.
 */
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
if (!dir || !fs.existsSync(dir)) {
  process.stderr.write('usage: node scripts/scan-test-logs.mjs <KEYCARD_TEST_LOG_DIR>\n');
  process.exit(2);
}
const PATTERNS = [
  ['access token', /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/],
  ['refresh token', /kcr_[\w-]{40,}/],
  ['bearer header', /Bearer\s+\S{8,}/i],
  ['test password', /correct horse battery staple|a long enough password/i],
];
let lines = 0;
let found = 0;
for (const name of fs.readdirSync(dir).filter((file) => file.endsWith('.log')).sort()) {
  const text = fs.readFileSync(path.join(dir, name), 'utf8');
  text.split('\n').forEach((line, index) => {
    if (!line) return;
    lines++;
    for (const [what, pattern] of PATTERNS) {
      const match = pattern.exec(line);
      if (match) {
        found++;
        process.stdout.write(`${name}:${index + 1}: ${what} (${match[0].slice(0, 12)}…) in ${line.slice(0, 160)}\n`);
      }
    }
  });
}
process.stdout.write(`scan-test-logs: ${lines} log lines, ${found} with a credential\n`);
process.exit(found > 0 || lines === 0 ? 1 : 0);
