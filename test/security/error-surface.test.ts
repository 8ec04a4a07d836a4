import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { isEnumType, isInputObjectType, isInterfaceType, isObjectType, parse, specifiedRules, validate, type GraphQLSchema } from 'graphql';
import { ErrorCode } from '../../src/errors';
import { GRAPHQL_LIMITS } from '../../src/http/graphql-limits';
import { isUnrecognised } from '../../src/http/request-messages';
import { buildBaseSchema } from '../../src/schema/build-schema';
import pino from 'pino';
import { startTestApp, withTestApp, type TestApp } from '../support/app';

/**
 * Issue 17, "Error surface (production)": what a schema-recovery tool (clairvoyance) or a scanner
 * (graphql-cop) learns from a production server's errors. Every answer of the probe set carries
 * a contract code, names no type or field the request did not write, and says nothing in a
 * library's words.
 */

/** Words of the libraries underneath, and of their settings. */
const LIBRARY_WORDS = /apollo|graphql-armor|armor|require-preflight|syntax error|did you mean|persistedquery|introspection: true|parsing aborted|limit of \d+ exceeded|found \d|\bat \S+ \(|\.[jt]s:\d+|stack/i;

type Probe = { label: string; method?: string; query?: string; body?: string; headers?: Record<string, string>; search?: string; expect?: (answer: Answer) => void };
type Answer = { status: number; text: string; errors: Array<{ message: string; extensions?: Record<string, unknown> }> };

/** Every name a message could leak: types (built-in and introspection ones too), fields, arguments, input fields, enum values. */
function schemaNames(schema: GraphQLSchema): { types: string[]; members: string[] } {
  const types = Object.keys(schema.getTypeMap());
  const members = new Set<string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        members.add(field.name);
        for (const arg of field.args) members.add(arg.name);
      }
    }
    if (isInputObjectType(type)) for (const field of Object.keys(type.getFields())) members.add(field);
    if (isEnumType(type)) for (const value of type.getValues()) members.add(value.name);
  }
  for (const directive of schema.getDirectives()) members.add(directive.name);
  return { types, members: [...members] };
}

function escape(name: string): string {
  return name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A name leaks when the message has it and the request did not. Type names are PascalCase and
 * checked as words; fields and arguments are checked when quoted (graphql-js quotes every name
 * it prints) or when camelCase (no English word is `auditEvents`).
 */
function leakedNames(message: string, request: string, names: { types: string[]; members: string[] }): string[] {
  const leaks = names.types.filter((name) => new RegExp(`(^|[^A-Za-z0-9_])${escape(name)}([^A-Za-z0-9_]|$)`).test(message) && !request.includes(name));
  const quoted = [...message.matchAll(/"([^"]*)"/g)].flatMap((m) => m[1]!.split(/[^A-Za-z0-9_]+/)).filter(Boolean);
  for (const name of names.members) {
    const camel = /[a-z][A-Z]/.test(name) && new RegExp(`\\b${escape(name)}\\b`).test(message);
    if ((camel || quoted.includes(name)) && !request.includes(name)) leaks.push(name);
  }
  return leaks;
}

async function send(url: string, probe: Probe): Promise<Answer> {
  const body = probe.body ?? (probe.query !== undefined ? JSON.stringify({ query: probe.query }) : undefined);
  const response = await fetch(`${url}/graphql${probe.search ?? ''}`, {
    method: probe.method ?? 'POST',
    headers: probe.headers ?? { 'content-type': 'application/json' },
    body,
  });
  const text = await response.text();
  let errors: Answer['errors'] = [];
  try {
    errors = (JSON.parse(text) as { errors?: Answer['errors'] }).errors ?? [];
  } catch {
    // asserted below: every answer is a JSON error list
  }
  return { status: response.status, text, errors };
}

const one = (reason: string) => (answer: Answer) => {
  assert.equal(answer.errors.length, 1, `one error: ${answer.text}`);
  assert.equal(answer.errors[0]!.extensions?.reason, reason, answer.text);
};

const repeated = (count: number, text: string) => Array.from({ length: count }, () => text).join('');

const PROBES: Probe[] = [
  { label: 'missing selection', query: '{ me }' },
  { label: 'missing selection, nested', query: '{ users { edges } }' },
  { label: 'selection on a scalar', query: '{ me { id { x } } }' },
  { label: 'unknown field', query: '{ auditEvents { type } }' },
  { label: 'unknown root field', query: '{ user }' },
  { label: 'unknown type in a fragment', query: '{ ... on Foo { a } }' },
  { label: 'unknown variable type', query: 'query ($a: Strin) { __typename }' },
  { label: 'unknown argument', query: '{ users(frist: 1) { totalCount } }' },
  { label: 'missing required argument', query: 'mutation { login { accessToken } }' },
  { label: 'wrong literal type', query: '{ users(first: "many") { totalCount } }' },
  { label: 'unknown input field', query: 'mutation { login(input: { emial: "a@b.c" }) { accessToken } }' },
  { label: 'missing variable', body: JSON.stringify({ query: 'mutation ($i: LoginInput!) { login(input: $i) { accessToken } }' }) },
  { label: 'variable of the wrong shape', body: JSON.stringify({ query: 'mutation ($i: LoginInput!) { login(input: $i) { accessToken } }', variables: { i: { x: 1 } } }) },
  { label: 'fragment on a wrong type', query: '{ me { ...F } } fragment F on Query { __typename }' },
  { label: 'subscription', query: 'subscription { __typename }', expect: one('GRAPHQL_VALIDATION_FAILED') },
  {
    label: 'automatic persisted query, mismatching hash',
    body: JSON.stringify({ query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } } }),
    expect: one('PERSISTED_QUERY_NOT_SUPPORTED'),
  },
  { label: 'automatic persisted query, hash only', body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }), expect: one('PERSISTED_QUERY_NOT_SUPPORTED') },
  { label: 'ten duplicated unknown directives', query: `{ __typename ${repeated(10, '@aa')} }`, expect: one('GRAPHQL_VALIDATION_FAILED') },
  { label: 'directives over the limit', query: `{ __typename ${repeated(GRAPHQL_LIMITS.maxDirectives + 1, '@aa')} }`, expect: one('GRAPHQL_VALIDATION_FAILED') },
  { label: 'a repeated known directive', query: '{ __typename @include(if: true) @include(if: true) }', expect: one('GRAPHQL_VALIDATION_FAILED') },
  { label: 'GET without a preflight header', method: 'GET', search: '?query=%7B__typename%7D', headers: {} },
  { label: 'mutation over GET', method: 'GET', search: `?query=${encodeURIComponent('mutation { logoutAll }')}`, headers: { 'apollo-require-preflight': 'true' } },
  { label: 'PUT', method: 'PUT', query: '{ __typename }', expect: (a) => assert.equal(a.status, 405) },
  { label: 'DELETE', method: 'DELETE', headers: {}, expect: (a) => assert.equal(a.status, 405) },
  { label: 'text/plain POST', body: '{"query":"{ __typename }"}', headers: { 'content-type': 'text/plain' } },
  { label: 'form POST', body: 'query=%7B__typename%7D', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
  { label: 'XML POST with a preflight header', body: '<query/>', headers: { 'content-type': 'application/xml' } },
  { label: 'POST without content type', body: '{"query":"{ __typename }"}', headers: { 'x-apollo-operation-name': 'A' } },
  { label: 'no query', body: '{"variables":{}}' },
  { label: 'batched', body: '[{"query":"{ __typename }"}]' },
  { label: 'unknown operation name', body: JSON.stringify({ query: '{ __typename }', operationName: 'Nope' }) },
  { label: 'syntax error', query: '{ me { id ' },
  { label: 'over the token limit', query: `{ ${repeated(GRAPHQL_LIMITS.maxTokens + 10, '__typename ')}}`, expect: one('GRAPHQL_PARSE_FAILED') },
  { label: 'over the cost limit', query: '{ users(first: 99999999) { edges { node { id auditEvents(first: 99999999) { id } } } } }', expect: one('GRAPHQL_VALIDATION_FAILED') },
  // Keycard's own types nest five levels at most: only introspection's reach deeper.
  { label: 'over the depth limit', query: `{ __type(name: "User") { fields { type { ${repeated(6, 'ofType { ')}name${repeated(6, ' }')} } } } }`, expect: one('GRAPHQL_VALIDATION_FAILED') },
  { label: 'over the alias limit', query: `{ ${Array.from({ length: GRAPHQL_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: __typename`).join(' ')} }`, expect: one('GRAPHQL_VALIDATION_FAILED') },
  { label: 'introspection', query: '{ __schema { types { name } } }' },
  { label: 'introspection by __type', query: '{ __type(name: "User") { fields { name } } }' },
];

describe('#17 the production error surface', () => {
  let prod: TestApp;
  const names = schemaNames(buildBaseSchema());
  const logLines: Array<{ level: number; msg: string }> = [];
  before(async () => {
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
    prod = await startTestApp({ NODE_ENV: 'production' }, { logger });
  });
  after(() => prod.close());

  it('#17 every probe answers a contract code, names nothing the request did not write, uses no library words, and logs nothing at warn or error', async () => {
    const codes = new Set<string>(Object.values(ErrorCode));
    // Every probe is checked and every failure reported together: one run shows the whole surface.
    const failures: string[] = [];
    for (const probe of PROBES) {
      const logged = logLines.length;
      const answer = await send(prod.url, probe);
      const label = `${probe.label}: ${answer.status} ${answer.text.slice(0, 300)}`;
      const request = `${probe.search ?? ''} ${probe.body ?? probe.query ?? ''}`;
      try {
        assert.ok(answer.status < 500, 'a client error');
        assert.ok(answer.errors.length > 0, 'an error list');
        for (const error of answer.errors) {
          assert.ok(codes.has(error.extensions?.code as string), 'a contract code');
          assert.notEqual(error.extensions?.code, ErrorCode.INTERNAL_SERVER_ERROR, 'not a server error');
          assert.equal(typeof error.extensions?.reason, 'string', 'a reason');
          assert.deepEqual(leakedNames(error.message, request, names), [], 'names the request did not write');
          assert.doesNotMatch(error.message, LIBRARY_WORDS, 'library words');
        }
        probe.expect?.(answer);
        // The client's mistake is not the server's: no stack, no error line (a scanner would flood the log).
        assert.deepEqual(logLines.slice(logged).filter((l) => l.level >= 40).map((l) => l.msg), [], 'logged at warn or error');
      } catch (error) {
        failures.push(`${label}\n    -> ${(error as Error).message.split('\n')[0]}`);
      }
    }
    assert.deepEqual(failures, [], `${failures.length} of ${PROBES.length} probes:\n${failures.join('\n')}`);
  });

  it('#17 the name check catches the library messages it exists for', () => {
    // The check itself must be able to fail: the messages the issue quotes.
    assert.deepEqual(leakedNames('Field "user" of type "User" must have a selection of subfields.', '{ user }', names), ['User']);
    assert.deepEqual(leakedNames('Cannot query field "type" on type "AuditEventConnection".', '{ auditEvents { type } }', names), ['AuditEventConnection']);
    assert.ok(leakedNames('Field "LoginInput.password" of required type "String!" was not provided.', 'mutation ($i: LoginInput!)', names).includes('password'));
    assert.match('GraphQL introspection is not allowed by Apollo Server', LIBRARY_WORDS);
    assert.match('Query Cost limit of 5000 exceeded, found 349999996.5.', LIBRARY_WORDS);
  });

  it('#17 every validation rule graphql-js runs has a message of ours (an upgrade that adds one fails here)', () => {
    const schema = buildBaseSchema();
    // One document per rule that breaks it; each rule must be broken by at least one.
    const documents = [
      'type T { a: Int }',
      '{ __typename } { __typename }',
      'query A { __typename } query A { __typename }',
      '{ ... on Nope { __typename } }',
      '{ me { ... on String { id } } }',
      'query ($v: User) { __typename }',
      '{ me }',
      '{ me { id { a } } }',
      '{ nope }',
      '{ ...F } fragment F on Query { __typename } fragment F on Query { __typename }',
      '{ ...Missing }',
      '{ __typename } fragment Unused on Query { __typename }',
      '{ me { ... on Session { id } } }',
      '{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }',
      'query ($a: Int, $a: Int) { users(first: $a) { totalCount } }',
      '{ users(first: $nope) { totalCount } }',
      'query ($unused: Int) { __typename }',
      '{ __typename @nope }',
      'query @include(if: true) { __typename }',
      '{ __typename @skip(if: true) @skip(if: true) }',
      '{ users(nope: 1) { totalCount } }',
      '{ users(first: 1, first: 2) { totalCount } }',
      '{ users(first: "x") { totalCount } }',
      'mutation { login(input: { email: "a@b.c" }) { accessToken } }',
      'mutation { login(input: { email: "a@b.c", password: "p", nope: 1 }) { accessToken } }',
      'mutation { login { accessToken } }',
      'query ($f: String) { users(first: $f) { totalCount } }',
      '{ me { id: email } me { id } }',
      'mutation { login(input: { email: "a", email: "b", password: "p" }) { accessToken } }',
      '{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }',
    ].map((text) => parse(text));
    // Rules that cannot fire on this schema, and why.
    const unbreakable: Record<string, string> = {
      SingleFieldSubscriptionsRule: 'the schema has no subscription type: every subscription is refused before (document-refusal.ts)',
    };
    for (const rule of specifiedRules) {
      if (unbreakable[rule.name]) continue;
      const found = documents.flatMap((document) => validate(schema, document, [rule]));
      assert.ok(found.length > 0, `no probe document breaks ${rule.name}: add one (and a message in request-messages.ts)`);
      for (const error of found) assert.equal(isUnrecognised('GRAPHQL_VALIDATION_FAILED', error.message), false, `${rule.name}: ${error.message}`);
    }
  });
});

describe('#17 development keeps the precise text', () => {
  let dev: TestApp;
  before(async () => {
    dev = await startTestApp({ NODE_ENV: 'development' });
  });
  after(() => dev.close());

  it('#17 validation, parse and limit messages keep their names and figures in development', async () => {
    const message = async (probe: Probe) => (await send(dev.url, probe)).errors[0]?.message ?? '';
    assert.match(await message({ label: '', query: '{ me }' }), /Field "me" of type "User" must have a selection of subfields/);
    assert.match(await message({ label: '', query: '{ auditEvents { type } }' }), /"AuditEventConnection"/);
    assert.match(await message({ label: '', query: `{ ${repeated(GRAPHQL_LIMITS.maxTokens + 10, '__typename ')}}` }), /more th(an|at) 1000 tokens/);
    assert.match(await message({ label: '', query: '{ users(first: 99999999) { totalCount } }' }), /cost.*found \d/);
    assert.match(await message({ label: '', query: `{ __typename ${repeated(GRAPHQL_LIMITS.maxDirectives + 1, '@aa')} }` }), /11 directives/);
    assert.match(await message({ label: '', method: 'GET', search: '?query=%7B__typename%7D', headers: {} }), /apollo-require-preflight/);
  });

  it('#17 a directive flood is one error in development too', async () => {
    for (const count of [10, GRAPHQL_LIMITS.maxDirectives + 1]) {
      const answer = await send(dev.url, { label: '', query: `{ __typename ${repeated(count, '@aa')} }` });
      assert.equal(answer.status, 400);
      assert.equal(answer.errors.length, 1, answer.text);
      assert.equal(answer.errors[0]!.extensions?.code, 'BAD_USER_INPUT');
    }
  });
});

describe('#17 aborted requests', () => {
  it('#17 a client that disconnects mid-body is a debug line without a stack, not an error', async () => {
    const lines: Array<{ level: number; msg: string; err?: unknown; stack?: unknown }> = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    await withTestApp(
      { NODE_ENV: 'production' },
      async (t) => {
        const { port } = new URL(t.url);
        const socket = net.connect(Number(port), '127.0.0.1');
        await new Promise((resolve) => socket.once('connect', resolve));
        socket.write('POST /graphql HTTP/1.1\r\nHost: keycard\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"query": "{ me');
        await sleep(50);
        socket.destroy();
        for (let i = 0; i < 100 && !lines.some((l) => /closed the request/.test(l.msg)); i++) await sleep(20);
        const aborted = lines.filter((l) => /closed the request/.test(l.msg));
        assert.equal(aborted.length, 1, JSON.stringify(lines));
        assert.equal(aborted[0]!.level, 20, 'debug');
        assert.equal(aborted[0]!.err, undefined, 'no error object, no stack');
        assert.deepEqual(lines.filter((l) => l.level >= 40), [], 'nothing at warn (40) or error');
      },
      { logger },
    );
  });
});
