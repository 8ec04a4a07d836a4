import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildBaseSchema, printSdl } from '../../src/schema/build-schema';
import { REPO_ROOT } from '../support/paths';

describe('committed schema artifacts', () => {
  it('schema/schema.graphql is what buildSchema emits (run npm run generate)', () => {
    const committed = fs.readFileSync(path.join(REPO_ROOT, 'schema', 'schema.graphql'), 'utf8');
    assert.equal(committed, printSdl(buildBaseSchema()));
  });

  it('the schema keeps every name the contract fixes', () => {
    const sdl = printSdl(buildBaseSchema());
    const fixed = [
      'scalar DateTime',
      'enum Role {\n  ADMIN\n  USER\n}',
      'enum TokenDelivery {\n  BODY\n  COOKIE\n}',
      'me: User',
      'user(id: ID!): User',
      'users(after: String, first: Int = 20): UserConnection!',
      'signup(input: SignupInput!): AuthPayload!',
      'login(input: LoginInput!): AuthPayload!',
      'refresh(refreshToken: String): AuthPayload!',
      'logout(refreshToken: String): Boolean!',
      'logoutAll: Boolean!',
      'setUserRole(role: Role!, userId: ID!): User!',
      'delivery: TokenDelivery = BODY',
    ];
    for (const fragment of fixed) assert.ok(sdl.includes(fragment), `schema lacks: ${fragment}`);
  });

  it('the generated typed documents are current (graphql-codegen --check)', () => {
    const bin = path.join(REPO_ROOT, 'node_modules', '.bin', 'graphql-codegen');
    // --check exits non-zero when generating would change a file.
    execFileSync(bin, ['--config', 'codegen.yml', '--check'], { cwd: REPO_ROOT, stdio: 'pipe' });
  });
});
