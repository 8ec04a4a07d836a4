import pg from 'pg';

/**
 * The benchmark's own PostgreSQL chores (BENCH_DB=postgres): a fresh database for the run on a
 * server it may create databases on, and its drop at the end. Here rather than in bench/run.ts
 * because, like the references, this is not Keycard and talks to the driver directly; the
 * storage seam (test/storage/seam.test.ts) keeps drivers out of everything else.
 */
async function onServer<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates database `name` on the server of `serverUrl`; returns the new database's URL and the server's version. */
export async function createDatabase(serverUrl: string, name: string): Promise<{ url: string; version: string }> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  const version = await onServer(serverUrl, async (client) => {
    await client.query(`CREATE DATABASE ${name}`);
    return (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
  });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), version };
}

/** Drops database `name`, closing any connection still on it. */
export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  await onServer(serverUrl, async (client) => void (await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));
}
