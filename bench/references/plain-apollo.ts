import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import Database from 'better-sqlite3';
import { allow, rule, shield } from 'graphql-shield';
import { applyMiddleware } from 'graphql-middleware';
import { makeExecutableSchema } from '@graphql-tools/schema';
import jwt from 'jsonwebtoken';
import pg from 'pg';

/**
 * References from the same packages, reading the same rows as Keycard (bench/run.ts, BENCH_DB):
 *  - mode "plain": Apollo Server, no authentication (optionally with cache control disabled);
 *  - mode "naive": the tutorial way: jwt.verify with a string secret in the context function,
 *    and graphql-shield with its default options and a rule on every field.
 *
 * The rows come from the SQLite file BENCH_DB (better-sqlite3, prepared statements: synchronous
 * resolvers), or, when REFERENCE_POSTGRES_URL is set, from that PostgreSQL database (pg, a pool
 * of REFERENCE_POOL_MAX connections, Keycard's own default, and named statements, which each
 * connection prepares once: the fair equivalent of the prepared SQLite statements).
 */
const mode = process.env.REFERENCE_MODE ?? 'plain';
const cacheControl = process.env.CACHE_CONTROL !== 'off';
const databasePath = process.env.BENCH_DB!;
const postgresUrl = process.env.REFERENCE_POSTGRES_URL;
export const NAIVE_SECRET = 'tutorial-secret';

const typeDefs = /* GraphQL */ `
  scalar DateTime
  enum Role { USER ADMIN }
  type User { id: ID! displayName: String! createdAt: DateTime! email: String role: Role }
  type PageInfo { hasNextPage: Boolean! endCursor: String }
  type UserEdge { cursor: String! node: User! }
  type UserConnection { edges: [UserEdge!]! pageInfo: PageInfo! totalCount: Int! }
  type Query { me: User users(first: Int = 20, after: String): UserConnection! }
`;

const meId = process.env.BENCH_USER_ID!;

/** SQLite stores times as epoch milliseconds, PostgreSQL's driver hands back Date objects. */
type Row = { id: string; display_name: string; created_at: number | Date; email: string; role: string };
const toUser = (row: Row) => ({ id: row.id, displayName: row.display_name, createdAt: new Date(row.created_at).toISOString(), email: row.email, role: row.role });
const toConnection = (rows: Row[], first: number, totalCount: number) => {
  const page = rows.slice(0, first);
  return {
    edges: page.map((row) => ({ cursor: row.id, node: toUser(row) })),
    pageInfo: { hasNextPage: rows.length > first, endCursor: page.at(-1)?.id ?? null },
    totalCount,
  };
};

function sqliteResolvers() {
  const sqlite = new Database(databasePath, { readonly: true });
  const byId = sqlite.prepare('select id, display_name, created_at, email, role from users where id = ?');
  const firstPage = sqlite.prepare('select id, display_name, created_at, email, role from users order by created_at, id limit ?');
  const count = sqlite.prepare('select count(*) as n from users');
  return {
    Query: {
      me: (_: unknown, __: unknown, ctx: { userId?: string }) => {
        const row = byId.get(ctx.userId ?? meId) as Row | undefined;
        return row ? toUser(row) : null;
      },
      users: (_: unknown, args: { first: number }) => toConnection(firstPage.all(args.first + 1) as Row[], args.first, (count.get() as { n: number }).n),
    },
  };
}

function postgresResolvers(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: Number(process.env.REFERENCE_POOL_MAX ?? 10) });
  pool.on('error', () => {});
  const byId = 'select id, display_name, created_at, email, role from users where id = $1';
  const firstPage = 'select id, display_name, created_at, email, role from users order by created_at, id limit $1';
  const count = 'select count(*)::int as n from users';
  return {
    Query: {
      me: async (_: unknown, __: unknown, ctx: { userId?: string }) => {
        const { rows } = await pool.query<Row>({ name: 'ref_user_by_id', text: byId, values: [ctx.userId ?? meId] });
        return rows[0] ? toUser(rows[0]) : null;
      },
      // The page and the count at once, on two connections, as a resolver would write it.
      users: async (_: unknown, args: { first: number }) => {
        const [page, total] = await Promise.all([
          pool.query<Row>({ name: 'ref_users_first_page', text: firstPage, values: [args.first + 1] }),
          pool.query<{ n: number }>({ name: 'ref_users_count', text: count }),
        ]);
        return toConnection(page.rows, args.first, total.rows[0]!.n);
      },
    },
  };
}

const resolvers = postgresUrl ? postgresResolvers(postgresUrl) : sqliteResolvers();

let schema = makeExecutableSchema({ typeDefs, resolvers });
if (mode === 'naive') {
  const isAuthenticated = rule()((_parent, _args, ctx: { userId?: string }) => ctx.userId !== undefined);
  const isAdmin = rule()((_parent, _args, ctx: { role?: string }) => ctx.role === 'ADMIN');
  schema = applyMiddleware(
    schema,
    shield({
      Query: { me: isAuthenticated, users: isAdmin },
      User: { id: isAuthenticated, displayName: isAuthenticated, createdAt: isAuthenticated, email: isAuthenticated, role: isAuthenticated },
      UserConnection: isAuthenticated,
      UserEdge: isAuthenticated,
      PageInfo: allow,
    }),
  );
}

async function main() {
  const server = new ApolloServer({ schema, plugins: cacheControl ? [] : [ApolloServerPluginCacheControlDisabled()] });
  const { url } = await startStandaloneServer(server, {
    listen: { port: 0, host: '127.0.0.1' },
    context: async ({ req }) => {
      if (mode !== 'naive') return {};
      const header = req.headers.authorization ?? '';
      try {
        // The tutorial way: a string secret on every call.
        const claims = jwt.verify(header.replace(/^Bearer /i, ''), NAIVE_SECRET) as { sub: string; role: string };
        return { userId: claims.sub, role: claims.role };
      } catch {
        return {};
      }
    },
  });
  console.log(`listening on ${url.replace(/\/$/, '')}`);
}

void main();
