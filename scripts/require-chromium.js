#!/usr/bin/env node
// `npm run test:browser` starts here: without Chromium the browser suite cannot run, and a
// skipped suite would let cookie mode break unnoticed, so a missing browser is a failure.
// Keep the path in step with test/browser/support/chromium.ts.
'use strict';
const fs = require('node:fs');

const CHROMIUM_PATH = '/usr/bin/chromium';

if (!fs.existsSync(CHROMIUM_PATH)) {
  process.stderr.write(
    `test:browser: ${CHROMIUM_PATH} is missing. The browser tests drive Debian's Chromium: install it with \`apt-get install -y chromium\` (as root), then run \`npm run test:browser\` again.\n`,
  );
  process.exit(1);
}
