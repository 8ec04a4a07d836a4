import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kind, print, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import * as generated from '../../src/client/generated/graphql';
import { CreateApiTokenDocument } from '../../src/client/generated/graphql';
import { apolloPlugins } from '../../src/http/apollo';
import { DEFAULT_QUERY_COMPILATION } from '../../src/http/compiled-queries';
import { HOOKS_SKIPPED_FOR_COMPILED_QUERIES } from '../../src/http/compiled-queries-plugin';
import { createFormatError } from '../../src/http/format-error';
import { createGraphqlLimits } from '../../src/http/graphql-limits';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { applyPermissions } from '../../src/permissions/apply-permissions';
import { buildBaseSchema } from '../../src/schema/build-schema';
import { startTestApp, TEST_SECRET, type TestApp } from '../support/app';
import { captureLogs, type CapturedLogs } from '../support/logs';
import { call, post, signup } from '../support/graphql';
import { signedInAdmin } from '../support/users';

/** Every query the client sends: its generated typed documents, each with the fragments it uses. */
function clientQueries(): Array<{ name: string; text: string; operation: OperationDefinitionNode }> {
  return Object.entries(generated)
    .filter(([exported]) => exported.endsWith('Document'))
    .flatMap(([, document]) => {
      const operation = (document as DocumentNode).definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
      return operation?.operation === 'query' ? [{ name: operation.name!.value, text: print(document as DocumentNode), operation }] : [];
    });
}

describe('compiled queries (graphql-jit) answer exactly as graphql-js does', () => {
  let t: TestApp;
  let logs: CapturedLogs;
  const viewers: Record<string, Record<string, string>> = {};
  let variablesFor: (name: string) => Record<string, unknown> | undefined;

  before(async () => {
    logs = captureLogs('debug');
    // The production setting: graphql-js runs a document's first use, graphql-jit the next ones.
    t = await startTestApp({}, { logger: logs.logger, queryCompilation: DEFAULT_QUERY_COMPILATION });
    const admin = await signedInAdmin(t);
    const user = await signup(t.url, { displayName: 'Differential' });
    await signup(t.url);
    const token = await call(t.url, CreateApiTokenDocument, { name: 'narrow', scopes: ['read:profile'], expiresIn: null }, { accessToken: user.accessToken });
    assert.equal(token.errors, undefined, JSON.stringify(token.errors));
    viewers.admin = { authorization: `Bearer ${admin.accessToken}` };
    viewers.user = { authorization: `Bearer ${user.accessToken}` };
    viewers['API token read:profile'] = { authorization: `Bearer ${token.data!.createApiToken.token}` };
    viewers.anonymous = {};
    viewers['invalid token'] = { authorization: 'Bearer not.a.jwt' };
    // A first request per viewer, so that what using a credential records (lastUsedAt) is
    // already written when the compared pairs read it.
    for (const headers of Object.values(viewers)) await post(t.url, { query: '{ __typename }' }, headers);
    const adminId = admin.user.id;
    const userId = user.user.id;
    // Required variables of each query; a new query with required variables fails below until it is given its own.
    const variables: Record<string, Record<string, unknown>> = {
      AuditEvents: { first: 5 },
      MyAuditEvents: { first: 3 },
      UserAuditEvents: { id: userId, first: 4 },
      DeviceRequest: { userCode: 'BCDF-GHJK' },
      UserSessions: { id: userId },
      UserById: { id: adminId },
      Users: { first: 2 },
    };
    variablesFor = (name) => variables[name];
  });
  after(() => t?.close());

  /** The same request twice: graphql-js answers the first, graphql-jit the second. */
  async function answeredAlike(label: string, body: Record<string, unknown>, headers: Record<string, string>): Promise<void> {
    const first = await post(t.url, body, headers);
    const second = await post(t.url, body, headers);
    assert.equal(second.status, first.status, `${label}: status`);
    assert.deepEqual(JSON.parse(second.text), JSON.parse(first.text), `${label}: body`);
  }

  function compiledOperations(): Array<string | null> {
    return logs.records().filter((r) => r.msg === 'query compiled by graphql-jit').map((r) => r.operation as string | null);
  }

  it('every query of the client operations, for an ADMIN, a USER, a narrow API token, anonymous and a bad token', async () => {
    const queries = clientQueries();
    assert.ok(queries.length >= 13, `found ${queries.length} queries`);
    for (const { name, text, operation } of queries) {
      const required = operation.variableDefinitions?.some((v) => v.type.kind === Kind.NON_NULL_TYPE) ?? false;
      const variables = variablesFor(name) ?? {};
      assert.ok(!required || variablesFor(name), `${name} has required variables: give it some in this test`);
      for (const [viewer, headers] of Object.entries(viewers)) {
        // A distinct text per viewer, so that each viewer's pair starts on graphql-js.
        await answeredAlike(`${name} as ${viewer}`, { query: `${text}\n# ${viewer}`, operationName: name, variables }, headers);
      }
      assert.ok(compiledOperations().includes(name), `${name} was compiled`);
    }
  });

  it('refusals: wrong variable types, a missing variable, a page over the limit, a bad cursor, a field the viewer may not read', async () => {
    const user = viewers.user!;
    const admin = viewers.admin!;
    const cases: Array<[string, Record<string, unknown>, Record<string, string>]> = [
      ['string for an Int', { query: 'query ($n: Int) { users(first: $n) { totalCount } }', variables: { n: 'many' } }, admin],
      ['missing non-null variable', { query: 'query ($id: ID!) { user(id: $id) { id } }', variables: {} }, admin],
      ['null for a non-null variable', { query: 'query ($id: ID!) { user(id: $id) { id } } # null', variables: { id: null } }, admin],
      ['page over the limit', { query: '{ users(first: 100000) { totalCount } }' }, admin],
      ['bad cursor', { query: '{ users(first: 2, after: "not a cursor") { totalCount } }' }, admin],
      ['another user’s private fields', { query: '{ users(first: 3) { edges { node { id email role } } } }' }, user],
      ['ADMIN-only list as a USER', { query: '{ users { totalCount } }' }, user],
      ['unknown user', { query: '{ user(id: "00000000-0000-0000-0000-000000000000") { id } }' }, admin],
      ['lazy cursor and count together', { query: '{ users(first: 2) { totalCount edges { cursor node { displayName createdAt } } pageInfo { endCursor hasNextPage } } }' }, admin],
      ['aliases and a fragment', { query: '{ a: me { ...F } b: me { id } } fragment F on User { id email }' }, user],
      // graphql-jit writes JavaScript from the document: literals that would end a string or a comment in it.
      ['literals that would break generated code', { query: `{ user(id: "\\"); process.exit(7); //\\u2028*/\`\${process.exit(7)}\`") { id } }` }, admin],
      ['a cursor that would break generated code', { query: `{ users(first: 1, after: "'); process.exit(7); ('") { totalCount } }` }, admin],
      ['skip and include', { query: 'query ($y: Boolean!) { me { id email @include(if: $y) role @skip(if: $y) } }', variables: { y: true } }, user],
    ];
    for (const [label, body, headers] of cases) {
      const before = compiledOperations().length;
      await answeredAlike(label, body, headers);
      // The cost limit refuses the oversized page in validation: no executor runs it.
      const executed = label !== 'page over the limit';
      assert.equal(compiledOperations().length - before, executed ? 1 : 0, `${label}: the second answer came from a compiled query`);
    }
  });

  it('mutations and introspection stay with graphql-js: never compiled', async () => {
    const before = compiledOperations().length;
    const introspection = { query: '{ __schema { queryType { name } } __type(name: "User") { name } }' };
    await answeredAlike('introspection', introspection, viewers.anonymous!);
    await answeredAlike('a failing mutation', { query: 'mutation Denied { revokeSession(id: "nope") }' }, viewers.anonymous!);
    await post(t.url, introspection);
    assert.equal(compiledOperations().length, before);
  });

  it('a query is compiled once, on its second use, and then serves every later use', async () => {
    const query = { query: 'query Once { me { id displayName } }' };
    const compilations = () => compiledOperations().filter((name) => name === 'Once').length;
    await post(t.url, query, viewers.user!);
    assert.equal(compilations(), 0, 'after the first use');
    await post(t.url, query, viewers.user!);
    assert.equal(compilations(), 1, 'after the second use');
    for (let i = 0; i < 3; i++) await post(t.url, query, viewers.user!);
    assert.equal(compilations(), 1, 'after five uses');
  });

  it('queries sent once do not push a compiled query out of the cache', async () => {
    const small = await startTestApp({}, { logger: logs.logger, queryCompilation: { afterUses: 1, maxCompiled: 2 } });
    try {
      const hot = { query: 'query Hot { me { id } }' };
      const compilations = () => compiledOperations().filter((name) => name === 'Hot').length;
      const before = compilations();
      await post(small.url, hot);
      await post(small.url, hot);
      assert.equal(compilations(), before + 1);
      for (let i = 0; i < 30; i++) await post(small.url, { query: `query Probe${i} { me { id } }` });
      await post(small.url, hot);
      await post(small.url, hot);
      assert.equal(compilations(), before + 1, 'still compiled: not compiled again');
    } finally {
      await small.close();
    }
  });

  it('no plugin of the server listens to a hook that a compiled query skips (its errors would go unseen)', async () => {
    const logger = createLogger('silent');
    for (const env of [{ NODE_ENV: 'production', KEYCARD_SECRET: TEST_SECRET, SANDBOX_ENABLED: 'true' }, { NODE_ENV: 'development' }]) {
      const config = loadConfig({ DATABASE_URL: ':memory:', ...env });
      const plugins = apolloPlugins({
        schema: applyPermissions(buildBaseSchema()),
        config,
        logger,
        options: { observing: true },
        formatError: createFormatError(logger, { production: config.production }),
        limitPlugins: createGraphqlLimits().plugins,
      });
      const hooks = new Set<string>();
      for (const plugin of plugins) {
        // The observation plugin listens only when the request is observed.
        const listener = await plugin.requestDidStart?.({ contextValue: { observation: { id: 'x' } } } as never);
        for (const hook of Object.keys(listener ?? {})) hooks.add(hook);
      }
      assert.ok(hooks.has('responseForOperation'), 'the compiled queries plugin is installed');
      for (const skipped of HOOKS_SKIPPED_FOR_COMPILED_QUERIES) assert.ok(!hooks.has(skipped), `a plugin listens to ${skipped}`);
    }
  });
});
