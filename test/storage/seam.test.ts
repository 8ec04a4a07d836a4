import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../support/paths';

/** Database drivers and dialect-specific Drizzle modules: only an adapter may know them. */
const DRIVERS = ['better-sqlite3', 'pg', 'drizzle-orm/better-sqlite3', 'drizzle-orm/node-postgres', 'drizzle-orm/sqlite-core', 'drizzle-orm/pg-core'];

/** The adapters, and the tests of each adapter alone. */
const ADAPTER_FOLDERS = ['src/storage/sqlite/', 'src/storage/postgres/', 'test/storage/sqlite/', 'test/storage/postgres/', 'test/support/postgres.ts'];

/** Not Keycard: reference servers the benchmark compares Keycard with, built on the same packages. */
const NOT_KEYCARD = ['bench/references/'];

/** Who may import an adapter's modules: the adapter map of openStorage, besides the adapters' own folders. */
const ADAPTER_REGISTRY = 'src/storage/storage.ts';

const SCANNED = ['src', 'test', 'bench', 'examples'];

function sourceFiles(folder: string): string[] {
  const absolute = path.join(REPO_ROOT, folder);
  if (!fs.existsSync(absolute)) return [];
  return fs.readdirSync(absolute, { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.(ts|mts|cts|js)$/.test(file) && !file.endsWith('.d.ts'))
    .map((file) => path.posix.join(folder, file.split(path.sep).join('/')));
}

/** Every module specifier a file names: static and type imports, re-exports, require() and import(). */
function importsOf(source: string): string[] {
  const specifiers: string[] = [];
  const patterns = [/\b(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/g, /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) specifiers.push(match[1]!);
  return specifiers;
}

const isDriver = (specifier: string) => DRIVERS.some((driver) => specifier === driver || specifier.startsWith(`${driver}/`));
const inside = (file: string, folders: readonly string[]) => folders.some((folder) => file.startsWith(folder));

describe('the storage seam', () => {
  const files = SCANNED.flatMap(sourceFiles).filter((file) => !inside(file, NOT_KEYCARD));

  it('finds the files it checks (the scan is not silently empty)', () => {
    assert.ok(files.includes('src/app.ts') && files.includes('src/storage/sqlite/client.ts') && files.includes('test/storage/sqlite/group-commit.test.ts'));
  });

  it('no file outside an adapter imports a database driver or a dialect-specific Drizzle module', () => {
    const offenders = files
      .filter((file) => !inside(file, ADAPTER_FOLDERS))
      .flatMap((file) => importsOf(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8')).filter(isDriver).map((specifier) => `${file} imports ${specifier}`));
    assert.deepEqual(offenders, []);
  });

  it("no file outside an adapter imports the adapter's modules, but openStorage's adapter map", () => {
    const offenders = files
      .filter((file) => !inside(file, ADAPTER_FOLDERS) && file !== ADAPTER_REGISTRY)
      .flatMap((file) =>
        importsOf(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8'))
          .filter((specifier) => specifier.startsWith('.') && /^src\/storage\/(sqlite|postgres)(\/|$)/.test(path.posix.join(path.posix.dirname(file), specifier)))
          .map((specifier) => `${file} imports ${specifier}`),
      );
    assert.deepEqual(offenders, []);
  });

  it('catches what it is meant to catch', () => {
    // Quotes come from a variable so that this file's own source holds no import of a driver.
    const q = "'";
    const sample = [
      `import Database from ${q}better-sqlite3${q};`,
      `import type { Pool } from ${q}pg${q};`,
      `export { x } from ${q}drizzle-orm/pg-core${q};`,
      `const m = require(${q}drizzle-orm/better-sqlite3/migrator${q});`,
      `await import(${q}drizzle-orm/node-postgres${q});`,
      `import ${q}drizzle-orm${q};`,
    ].join('\n');
    assert.deepEqual(
      importsOf(sample).filter(isDriver),
      ['better-sqlite3', 'pg', 'drizzle-orm/pg-core', 'drizzle-orm/better-sqlite3/migrator', 'drizzle-orm/node-postgres'],
    );
    assert.equal(isDriver('drizzle-orm'), false, 'dialect-neutral drizzle-orm is fine');
    assert.equal(isDriver('pg-connection-string-like'), false);
  });
});
