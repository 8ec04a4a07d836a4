import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import Database from 'better-sqlite3';
import { allow, rule, shield } from 'graphql-shield';
import { applyMiddleware } from 'graphql-middleware';
import { makeExecutableSchema } from '@graphql-tools/schema';
import jwt from 'jsonwebtoken';

/**
 * References from the same packages, reading the same SQLite rows:
 *  - mode "plain": Apollo Server, no authentication (optionally with cache control disabled);
 *  - mode "naive": the tutorial way: jwt.verify with a string secret in the context function,
 *    and graphql-shield with its default options and a rule on every field.
 */
const mode = process.env.REFERENCE_MODE ?? 'plain';
const cacheControl = process.env.CACHE_CONTROL !== 'off';
const databasePath = process.env.BENCH_DB!;
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

const sqlite = new Database(databasePath, { readonly: true });
const byId = sqlite.prepare('select id, display_name, created_at, email, role from users where id = ?');
const firstPage = sqlite.prepare('select id, display_name, created_at, email, role from users order by created_at, id limit ?');
const count = sqlite.prepare('select count(*) as n from users');
const meId = process.env.BENCH_USER_ID!;

type Row = { id: string; display_name: string; created_at: number; email: string; role: string };
const toUser = (row: Row) => ({ id: row.id, displayName: row.display_name, createdAt: new Date(row.created_at).toISOString(), email: row.email, role: row.role });

const resolvers = {
  Query: {
    me: (_: unknown, __: unknown, ctx: { userId?: string }) => {
      const row = byId.get(ctx.userId ?? meId) as Row | undefined;
      return row ? toUser(row) : null;
    },
    users: (_: unknown, args: { first: number }) => {
      const rows = firstPage.all(args.first + 1) as Row[];
      const page = rows.slice(0, args.first);
      return {
        edges: page.map((row) => ({ cursor: row.id, node: toUser(row) })),
        pageInfo: { hasNextPage: rows.length > args.first, endCursor: page.at(-1)?.id ?? null },
        totalCount: (count.get() as { n: number }).n,
      };
    },
  },
};

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
