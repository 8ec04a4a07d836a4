/**
 * Preloaded with `node --require` into a server under test: when the process exits, writes the
 * packages it loaded (one name a line) to REPORT_LOADED_MODULES, so a test can check that an
 * option that is off loaded nothing of its library.
 */
import fs from 'node:fs';

const file = process.env.REPORT_LOADED_MODULES;
if (file) {
  process.on('exit', () => {
    const packages = new Set<string>();
    for (const loaded of Object.keys(require.cache)) {
      const match = /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(loaded);
      if (match) packages.add(match[1]!.replace(/\\/g, '/'));
    }
    fs.writeFileSync(file, [...packages].sort().join('\n'));
  });
}
