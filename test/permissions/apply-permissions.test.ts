import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execute, parse, type ExecutionResult } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { applyPermissions } from '../../src/permissions/apply-permissions';
import { createPermissions } from '../../src/permissions/permissions';
import { effectiveScopes } from '../../src/permissions/scopes';
import type { User } from '../../src/storage/users';
import { buildBaseSchema } from '../../src/schema/build-schema';

const at = new Date('2026-01-01T00:00:00Z');
const row = (id: string, role: 'USER' | 'ADMIN'): User => ({
  id,
  email: `${id}@example.com`,
  passwordHash: 'x',
  displayName: `name ${id}`,
  role,
  disabledAt: null,
  emailVerifiedAt: null,
  createdAt: at,
  updatedAt: at,
});
const rows = [row('u1', 'USER'), row('u2', 'USER')];

/** Services that answer from memory: only the rules differ between the two schemas under test. */
const services = {
  accounts: {
    findUser: async (id: string) => rows.find((r) => r.id === id),
    listUsers: async () => ({ rows, hasNextPage: false, totalCount: async () => rows.length }),
  },
  sessions: { listLive: async () => [] },
  audit: { recentForUser: async () => [], page: async () => ({ rows: [], hasNextPage: false, totalCount: async () => 0 }) },
};

const contexts: Record<string, () => object> = {
  anonymous: () => ({ viewer: null, authError: null, provenUsers: new Set() }),
  'expired token': () => ({ viewer: null, authError: 'TOKEN_EXPIRED', provenUsers: new Set() }),
  'USER u1': () => ({ viewer: sessionViewer('USER'), authError: null, provenUsers: new Set() }),
  'ADMIN u1': () => ({ viewer: sessionViewer('ADMIN'), authError: null, provenUsers: new Set() }),
  'ADMIN u1 by an API token with read:profile only': () => ({
    viewer: { ...sessionViewer('ADMIN'), sessionId: null, apiTokenId: 't1', credential: 'apiToken', scopes: effectiveScopes('ADMIN', ['read:profile']) },
    authError: null,
    provenUsers: new Set(),
  }),
  'just proved to be u2': () => ({ viewer: null, authError: null, provenUsers: new Set(['u2']) }),
};

function sessionViewer(role: 'USER' | 'ADMIN') {
  return { userId: 'u1', sessionId: 's1', apiTokenId: null, credential: 'session', role, scopes: effectiveScopes(role, null), user: { ...rows[0], role } };
}

const queries = [
  '{ me { id displayName email role } }',
  '{ user(id: "u2") { id displayName createdAt email role disabled sessions { id } auditEvents { id } } }',
  '{ users(first: 2) { totalCount pageInfo { hasNextPage } edges { cursor node { id email role } } } }',
  '{ auditEvents { totalCount } }',
];

async function run(schema: ReturnType<typeof buildBaseSchema>, query: string, context: object): Promise<string> {
  const result = (await execute({ schema, document: parse(query), contextValue: { ...context, services } })) as ExecutionResult;
  return JSON.stringify({ data: result.data, errors: result.errors?.map((e) => ({ message: e.message, path: e.path, extensions: e.extensions })) });
}

describe('applyPermissions: synchronous guards and unwrapped allow fields', () => {
  it('decide every field exactly as graphql-shield alone does, for every kind of caller', async () => {
    const base = buildBaseSchema();
    const shieldOnly = applyMiddleware(base, createPermissions());
    const fast = applyPermissions(buildBaseSchema());
    let refusals = 0;
    let granted = 0;
    for (const [who, context] of Object.entries(contexts)) {
      for (const query of queries) {
        const expected = await run(shieldOnly, query, context());
        const actual = await run(fast, query, context());
        assert.equal(actual, expected, `${who}: ${query}`);
        if (expected.includes('FORBIDDEN') || expected.includes('UNAUTHENTICATED')) refusals++;
        if (expected.includes('u2@example.com')) granted++;
      }
    }
    // Both sides of the rules were exercised, so the comparison could have failed.
    assert.ok(refusals >= 5, `refusals: ${refusals}`);
    assert.ok(granted >= 2, `grants: ${granted}`);
  });
});
