import { describe } from 'node:test';

export type TestDialect = 'sqlite' | 'postgres';

/**
 * The database the suite runs on in this pass: `TEST_DATABASE=postgres` (npm run test:postgres,
 * the second pass of npm test) gives every app, storage and CLI workspace a fresh PostgreSQL
 * database of its own on the test server; otherwise SQLite, as before.
 */
export const TEST_DIALECT: TestDialect = parseDialect(process.env.TEST_DATABASE);

function parseDialect(value: string | undefined): TestDialect {
  if (value === undefined || value === '' || value === 'sqlite') return 'sqlite';
  if (value === 'postgres') return 'postgres';
  throw new Error(`TEST_DATABASE must be sqlite or postgres (got "${value}")`);
}

/**
 * A describe for tests that are about one dialect by nature (a SQLite file, WAL, data_version,
 * group commit): registered only on the pass of that dialect, with the dialect in its name so
 * the report says where it ran. On the other pass nothing is registered (the runner reports no
 * skipped test): the reason is the comment at the call site.
 */
export function onlyOn(dialect: TestDialect): (name: string, fn: () => void) => void {
  return (name, fn) => {
    if (TEST_DIALECT === dialect) describe(`[${dialect} only] ${name}`, fn);
  };
}
