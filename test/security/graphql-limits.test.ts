import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  getIntrospectionQuery,
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  parse,
  specifiedRules,
  validate,
  type GraphQLSchema,
} from 'graphql';
import { GRAPHQL_LIMITS, createGraphqlLimits } from '../../src/http/graphql-limits';
import { buildBaseSchema } from '../../src/schema/build-schema';
import { startTestApp, type TestApp } from '../support/app';
import { post, PASSWORD, uniqueEmail } from '../support/graphql';
import { REPO_ROOT } from '../support/paths';
import { signedInAdmin } from '../support/users';

const OPERATIONS_DIR = path.join(REPO_ROOT, 'src', 'client', 'operations');

function aliases(count: number, field = '__typename', directive = ''): string {
  return `{ ${Array.from({ length: count }, (_, i) => `a${i}: ${field}${directive}`).join(' ')} }`;
}

/** `{ __type { fields { type { ofType { ... { name } } } } } }`: `depth` levels of selection. */
function deepTypeQuery(depth: number): string {
  const ofTypes = depth - 4;
  return `{ __type(name: "User") { fields { type { ${'ofType { '.repeat(ofTypes)}name${' }'.repeat(ofTypes)} } } } }`;
}

/**
 * A valid document of exactly `tokens` tokens: spreads of one-field fragments (9 tokens each:
 * `... Fi` and `fragment Fi on Query { __typename }`), padded with `__typename` (1 token).
 */
function documentOfTokens(tokens: number): string {
  const fragments = Math.floor((tokens - 2) / 9);
  const padding = tokens - 2 - 9 * fragments;
  const ids = Array.from({ length: fragments }, (_, i) => i);
  return `{ ${ids.map((i) => `...F${i}`).join(' ')} ${'__typename '.repeat(padding)}} ${ids.map((i) => `fragment F${i} on Query { __typename }`).join(' ')}`;
}

function assertRefusedBeforeExecution(answer: Awaited<ReturnType<typeof post>>, mentions: RegExp): void {
  assert.equal(answer.status, 400, answer.text);
  assert.equal(answer.data, undefined, 'nothing executed');
  assert.equal(answer.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  assert.ok(answer.errors?.some((e) => mentions.test(e.message)), answer.text);
}

function assertAccepted(answer: Awaited<ReturnType<typeof post>>): void {
  assert.equal(answer.errors, undefined, answer.text);
  assert.equal(answer.status, 200);
}

describe('#30 GraphQL document limits', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp({ NODE_ENV: 'development' });
  });
  afterEach(() => t.close());

  it('#30 every operation in src/client/operations passes every limit', () => {
    const schema = buildBaseSchema();
    const rules = [...specifiedRules, ...createGraphqlLimits().validationRules];
    const files = fs.readdirSync(OPERATIONS_DIR).filter((f) => f.endsWith('.graphql'));
    assert.ok(files.length > 0);
    const sources = files.map((f) => fs.readFileSync(path.join(OPERATIONS_DIR, f), 'utf8'));
    const all = parse(sources.join('\n'), { maxTokens: GRAPHQL_LIMITS.maxTokens * files.length });
    const fragments = all.definitions.filter((d) => d.kind === 'FragmentDefinition');
    for (const operation of all.definitions.filter((d) => d.kind === 'OperationDefinition')) {
      const name = operation.name?.value ?? '(anonymous)';
      // Each operation is sent alone, with the fragments it uses.
      const used = fragments.filter((f) => JSON.stringify(operation).includes(`"value":"${f.name.value}"`));
      const document = { kind: all.kind, definitions: [operation, ...used] };
      const errors = validate(schema, document, rules);
      assert.deepEqual(errors.map((e) => e.message), [], name);
    }
  });

  it("#30 Apollo Sandbox's introspection query still works in development", async () => {
    const query = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true });
    const answer = await post(t.url, { query, operationName: 'IntrospectionQuery' });
    assertAccepted(answer);
    assert.ok(((answer.data!.__schema as { types: unknown[] }).types).length > 10);
  });

  it('#30 depth over the bound is refused before execution; at the bound it runs', async () => {
    assertRefusedBeforeExecution(await post(t.url, { query: deepTypeQuery(GRAPHQL_LIMITS.maxDepth + 1) }), /depth/i);
    assertAccepted(await post(t.url, { query: deepTypeQuery(GRAPHQL_LIMITS.maxDepth) }));
  });

  it('#30 aliases over the bound are refused, __typename included; at the bound they run', async () => {
    assertRefusedBeforeExecution(await post(t.url, { query: aliases(GRAPHQL_LIMITS.maxAliases + 1) }), /alias/i);
    assertAccepted(await post(t.url, { query: aliases(GRAPHQL_LIMITS.maxAliases) }));
  });

  it('#30 an over-limit mutation runs none of its fields', async () => {
    const emails = Array.from({ length: GRAPHQL_LIMITS.maxAliases + 1 }, () => uniqueEmail('limit'));
    const fields = emails.map((email, i) => `s${i}: signup(input: {email: "${email}", password: "${PASSWORD}"}) { accessToken }`);
    assertRefusedBeforeExecution(await post(t.url, { query: `mutation { ${fields.join(' ')} }` }), /alias/i);
    for (const email of emails) assert.equal(await t.app.services.accounts.findUserByEmail(email), undefined, `${email} was created`);
  });

  it('#30 directives over the bound are refused; at the bound they run', async () => {
    assertRefusedBeforeExecution(await post(t.url, { query: aliases(GRAPHQL_LIMITS.maxDirectives + 1, '__typename', ' @include(if: true)') }), /directive/i);
    assertAccepted(await post(t.url, { query: aliases(GRAPHQL_LIMITS.maxDirectives, '__typename', ' @include(if: true)') }));
  });

  it('#30 documents over the token bound are refused at parsing; at the bound they run', async () => {
    const over = await post(t.url, { query: documentOfTokens(GRAPHQL_LIMITS.maxTokens + 1) });
    assertRefusedBeforeExecution(over, /tokens/i);
    assert.equal(over.errors?.[0]?.extensions?.reason, 'GRAPHQL_PARSE_FAILED');
    assertAccepted(await post(t.url, { query: documentOfTokens(GRAPHQL_LIMITS.maxTokens) }));
  });

  it('#30 a document over the cost bound is refused, even within the depth and alias bounds; a full page runs', async () => {
    // 100 users with 100 audit events each: small to write, ~10,000 objects to load.
    const nested = '{ users(first: 100) { edges { node { id auditEvents(first: 100) { id type at } } } } }';
    assertRefusedBeforeExecution(await post(t.url, { query: nested }), /cost/i);
    const admin = await signedInAdmin(t);
    const page = '{ users(first: 100) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id displayName email role } } } }';
    assertAccepted(await post(t.url, { query: page }, { authorization: `Bearer ${admin.accessToken}` }));
  });
});

/** Fields that take `first`, and the query that reaches each as an ADMIN. */
const PAGED_FIELDS: Record<string, (first: number) => string> = {
  'Query.users': (first) => `{ users(first: ${first}) { totalCount } }`,
  'Query.auditEvents': (first) => `{ auditEvents(first: ${first}) { totalCount } }`,
  'User.auditEvents': (first) => `{ me { auditEvents(first: ${first}) { id } } }`,
};

/** Lists without `first`, and what bounds them. */
const BOUNDED_LISTS: Record<string, string> = {
  'UserConnection.edges': 'at most `first` of Query.users',
  'AuditEventConnection.edges': 'at most `first` of Query.auditEvents',
  'User.sessions': "the user's live sessions only",
  'Session.scopes': 'a subset of the closed scope list (src/permissions/scopes.ts)',
  'DeviceRequest.scopes': 'a subset of the closed scope list (src/permissions/scopes.ts)',
  'User.apiTokens': "the user's live API tokens: at most 50 (DEFAULT_API_TOKEN_LIMIT)",
  'ApiToken.scopes': 'at most the 7 scopes of the closed list',
  'Query.authProviders': 'the providers of OAUTH_PROVIDERS (configuration, not data)',
  'User.identities': "the user's own linked identities, each added by a sign-in at its provider (signed in, rate-limited): not a list others can grow",
};

function listFields(schema: GraphQLSchema): { paged: string[]; unpaged: string[] } {
  const paged: string[] = [];
  const unpaged: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const name = `${type.name}.${field.name}`;
      const isList = isListType(getNullableType(field.type)) || getNamedType(field.type).name.endsWith('Connection');
      if (field.args.some((a) => a.name === 'first')) paged.push(name);
      else if (isList) unpaged.push(name);
    }
  }
  return { paged: paged.sort(), unpaged: unpaged.sort() };
}

describe('#30 list sizes', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it('#30 every list field is either capped by `first` (tested below) or bounded by its parent', () => {
    const { paged, unpaged } = listFields(buildBaseSchema());
    assert.deepEqual(paged, Object.keys(PAGED_FIELDS).sort(), 'a new paged field: add it to PAGED_FIELDS');
    assert.deepEqual(unpaged, Object.keys(BOUNDED_LISTS).sort(), 'a new list field: bound it, then list it in BOUNDED_LISTS');
  });

  it('#30 `first: 99999999` is refused before execution, 101 or -1 is BAD_USER_INPUT on field first, for every paged field; 100 works', async () => {
    const admin = await signedInAdmin(t);
    const auth = { authorization: `Bearer ${admin.accessToken}` };
    for (const [name, query] of Object.entries(PAGED_FIELDS)) {
      // The cost rule multiplies by a literal `first`; as a variable it reaches the resolver's cap.
      assertRefusedBeforeExecution(await post(t.url, { query: query(99999999) }, auth), /cost/i);
      const variable = query(99999999).replace('{', 'query ($n: Int) {').replace('99999999', '$n');
      const huge = await post(t.url, { query: variable, variables: { n: 99999999 } }, auth);
      assert.equal(huge.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', `${name}($n = 99999999): ${huge.text}`);
      assert.equal(huge.errors?.[0]?.extensions?.field, 'first', name);
      for (const first of [101, -1]) {
        const answer = await post(t.url, { query: query(first) }, auth);
        assert.equal(answer.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', `${name}(first: ${first}): ${answer.text}`);
        assert.equal(answer.errors?.[0]?.extensions?.field, 'first', name);
      }
      assertAccepted(await post(t.url, { query: query(100) }, auth));
    }
  });
});
