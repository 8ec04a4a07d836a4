import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isObjectType } from 'graphql';
import { directivesOf } from '../../src/permissions/directives';
import { isTypePolicy, policyTable, SESSION, type FieldPolicy } from '../../src/permissions/permissions';
import { effectiveScopes, SCOPES, scopesForRole, type Scope } from '../../src/permissions/scopes';
import { buildBaseSchema } from '../../src/schema/build-schema';
import { startTestApp, type TestApp } from '../support/app';
import { post, signup } from '../support/graphql';
import { signedInAdmin } from '../support/users';

/**
 * One operation per field that states a credential requirement, reaching that field. A field
 * added to the table with a requirement but no operation here fails the first test: every scope
 * is tried against every field it guards.
 */
const OPERATIONS: Record<string, (ids: { self: string; other: string }) => string> = {
  'Query.me': () => '{ me { id } }',
  'Query.user': ({ other }) => `{ user(id: "${other}") { id } }`,
  'Query.users': () => '{ users(first: 1) { totalCount } }',
  'Query.auditEvents': () => '{ auditEvents(first: 1) { totalCount } }',
  'Mutation.logout': () => 'mutation { logout }',
  'Mutation.logoutAll': () => 'mutation { logoutAll }',
  'Mutation.setUserRole': ({ other }) => `mutation { setUserRole(userId: "${other}", role: USER) { id } }`,
  'Mutation.setUserDisabled': ({ other }) => `mutation { setUserDisabled(userId: "${other}", disabled: false) { id } }`,
  'Mutation.revokeSession': () => 'mutation { revokeSession(id: "no-such-session") }',
  'Mutation.changePassword': () => 'mutation { changePassword(currentPassword: "wrong password", newPassword: "another long passphrase") }',
  'Mutation.createApiToken': () => 'mutation { createApiToken(name: "n", scopes: ["read:profile"]) { token } }',
  'Mutation.revokeApiToken': () => 'mutation { revokeApiToken(id: "no-such-token") }',
  'Mutation.requestEmailVerification': () => 'mutation { requestEmailVerification }',
  'Mutation.changeEmail': () => 'mutation { changeEmail(newEmail: "new@example.com", currentPassword: "wrong password") }',
  'Mutation.linkIdentity': () => 'mutation { linkIdentity(provider: "nobody", code: "c", state: "s") { id } }',
  'Mutation.unlinkIdentity': () => 'mutation { unlinkIdentity(id: "no-such-identity") }',
  'User.identities': ({ other }) => `{ user(id: "${other}") { identities { id } } }`,
  'Query.deviceRequest': () => '{ deviceRequest(userCode: "BCDF-GHJK") { clientId } }',
  'Mutation.approveDevice': () => 'mutation { approveDevice(userCode: "BCDF-GHJK") }',
  'Mutation.denyDevice': () => 'mutation { denyDevice(userCode: "BCDF-GHJK") }',
  'User.email': ({ other }) => `{ user(id: "${other}") { email } }`,
  'User.role': ({ other }) => `{ user(id: "${other}") { role } }`,
  'User.disabled': ({ other }) => `{ user(id: "${other}") { disabled } }`,
  'User.emailVerified': ({ other }) => `{ user(id: "${other}") { emailVerified } }`,
  'User.sessions': ({ other }) => `{ user(id: "${other}") { sessions { id } } }`,
  'User.auditEvents': ({ other }) => `{ user(id: "${other}") { auditEvents { id } } }`,
  'User.apiTokens': ({ other }) => `{ user(id: "${other}") { apiTokens { id } } }`,
};

function guardedFields(): Array<[string, FieldPolicy]> {
  const out: Array<[string, FieldPolicy]> = [];
  for (const [typeName, entry] of Object.entries(policyTable)) {
    if (isTypePolicy(entry)) continue;
    for (const [fieldName, policy] of Object.entries(entry as Record<string, FieldPolicy>)) if (policy.requires !== null) out.push([`${typeName}.${fieldName}`, policy]);
  }
  return out;
}

/** The scopes an operation needs besides the field's own: the parent it is reached through. */
function parentScopes(field: string): Scope[] {
  return field.startsWith('User.') ? ['read:profile'] : [];
}

describe('scopes: every field states one, and every scope is enforced on every field it guards', () => {
  it('every field of every object type states its requirement (a scope, SESSION, none) or belongs to a whole-type entry', () => {
    const schema = buildBaseSchema();
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      const entry = (policyTable as Record<string, unknown>)[type.name];
      if (entry === undefined) missing.push(type.name);
      else if (!isTypePolicy(entry)) for (const name of Object.keys(type.getFields())) if (!(name in (entry as object))) missing.push(`${type.name}.${name}`);
    }
    assert.deepEqual(missing, [], 'state these in policyTable (src/permissions/permissions.ts)');
    assert.deepEqual(
      guardedFields().map(([field]) => field).filter((field) => !(field in OPERATIONS)),
      [],
      'give each guarded field an operation in OPERATIONS',
    );
  });

  it('effective scopes are the grant cut down to the current role', () => {
    assert.deepEqual([...effectiveScopes('USER', null)], scopesForRole('USER'));
    assert.deepEqual([...effectiveScopes('USER', ['read:users', 'read:profile', 'introspect'])], ['read:profile']);
    assert.deepEqual([...effectiveScopes('ADMIN', ['read:users', 'introspect'])], ['read:users', 'introspect']);
  });

  describe('against a running server, by an ADMIN API token', () => {
    let t: TestApp;
    let ids: { self: string; other: string };
    let sessionToken: string;
    before(async () => {
      t = await startTestApp();
      const admin = await signedInAdmin(t);
      const other = await signup(t.url);
      ids = { self: admin.user.id, other: other.user.id };
      sessionToken = admin.accessToken;
    });
    after(() => t.close());

    async function tokenWith(scopes: Scope[]): Promise<string> {
      const owner = { id: ids.self, role: 'ADMIN' as const };
      return (await t.app.services.apiTokens.create(owner, { name: scopes.join(',') || 'none', scopes: scopes.length ? scopes : ['introspect'] }, { ip: null, userAgent: null }, owner.id)).token;
    }

    async function reasonsOf(query: string, bearer: string): Promise<unknown[]> {
      const result = await post(t.url, { query }, { authorization: `Bearer ${bearer}` });
      return (result.errors ?? []).map((e) => e.extensions?.reason);
    }

    for (const [field, policy] of guardedFields()) {
      if (policy.requires === SESSION) {
        it(`${field}: an API token holding every scope is SESSION_REQUIRED; a session is not`, async () => {
          const query = OPERATIONS[field]!(ids);
          assert.ok((await reasonsOf(query, await tokenWith([...SCOPES]))).includes('SESSION_REQUIRED'));
          assert.ok(!(await reasonsOf(query, sessionToken)).includes('SESSION_REQUIRED'));
        });
        continue;
      }
      const scope = policy.requires as Scope;
      it(`${field}: refused without ${scope} (INSUFFICIENT_SCOPE), let through with it`, async () => {
        const query = OPERATIONS[field]!(ids);
        const without = SCOPES.filter((s) => s !== scope);
        assert.ok((await reasonsOf(query, await tokenWith(without))).includes('INSUFFICIENT_SCOPE'), `${field} without ${scope}`);
        const withIt = await reasonsOf(query, await tokenWith([...new Set([scope, ...parentScopes(field)])]));
        assert.ok(!withIt.includes('INSUFFICIENT_SCOPE'), `${field} with ${scope}: ${JSON.stringify(withIt)}`);
      });
    }
  });
});

describe('the SDL directives agree with the rule table', () => {
  it('@authenticated and @requiresScopes appear exactly where the table says, and nowhere else', () => {
    const { printSdl } = require('../../src/schema/build-schema') as typeof import('../../src/schema/build-schema');
    const { parse } = require('graphql') as typeof import('graphql');
    const document = parse(printSdl(buildBaseSchema()));
    const declared = new Set(document.definitions.filter((d) => d.kind === 'DirectiveDefinition').map((d) => (d as { name: { value: string } }).name.value));
    assert.deepEqual([...declared].sort(), ['authenticated', 'requiresScopes']);
    let checked = 0;
    for (const definition of document.definitions) {
      if (definition.kind !== 'ObjectTypeDefinition') continue;
      for (const fieldNode of definition.fields ?? []) {
        const expected = directivesOf(definition.name.value, fieldNode.name.value);
        const names = (fieldNode.directives ?? []).map((d) => d.name.value);
        assert.equal(names.includes('authenticated'), expected.authenticated, `${definition.name.value}.${fieldNode.name.value} @authenticated`);
        const scopes = fieldNode.directives?.find((d) => d.name.value === 'requiresScopes');
        const printed = scopes ? (require('graphql') as typeof import('graphql')).valueFromASTUntyped(scopes.arguments![0]!.value) : null;
        assert.deepEqual(printed, expected.requiresScopes, `${definition.name.value}.${fieldNode.name.value} @requiresScopes`);
        checked++;
      }
    }
    assert.ok(checked > 40);
    // And the table's own facts: a scope field needing a viewer says so, a session-only field is @authenticated.
    for (const [field, policy] of guardedFields()) {
      const [type, name] = field.split('.') as [string, string];
      const directives = directivesOf(type, name);
      if (policy.access.needsViewer) assert.ok(directives.authenticated, field);
      if (policy.requires !== SESSION && policy.access.needsViewer) assert.deepEqual(directives.requiresScopes, [[policy.requires]], field);
    }
  });
});
