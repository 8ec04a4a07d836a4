import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { serverAudits, type AuditResult } from 'graphql-http';
import { withTestApp } from '../support/app';

/**
 * SHOULD/MAY recommendations we do not follow, and why (contract.md):
 * - a parse, validation or variable error answers 400 with `application/json`, not 200: Apollo
 *   Server answers 400 for a request that could not execute, and clients key on extensions.code;
 * - GET with variables or a form-encoded query is refused without a preflight header: Apollo's
 *   CSRF prevention (security.md #22) wants `apollo-require-preflight` or a JSON content type.
 */
const ACCEPTED_RECOMMENDATIONS = new Set([
  'SHOULD use 200 status code on document parsing failure when accepting application/json',
  'SHOULD use 200 status code on document validation failure when accepting application/json',
  'SHOULD use a status code of 200 on variable coercion failure when accepting application/json',
  'MAY accept application/x-www-form-urlencoded formatted GET requests',
  'MAY allow URL-encoded JSON string {variables} parameter in GETs when accepting application/graphql-response+json',
  'MAY allow URL-encoded JSON string {variables} parameter in GETs when accepting application/json',
]);

describe('GraphQL over HTTP conformance (graphql-http server audits)', () => {
  // One audit run, shared read-only by the tests below: they only read what it recorded. The
  // app it ran against is closed before any test starts, so no test can see another's state.
  let results: AuditResult[];
  before(async () => {
    results = await withTestApp({ NODE_ENV: 'development' }, async (t) => {
      const recorded: AuditResult[] = [];
      for (const audit of serverAudits({ url: `${t.url}/graphql` })) recorded.push(await audit.fn());
      return recorded;
    });
  });

  it('passes every MUST audit', () => {
    assert.ok(results.length > 30, `only ${results.length} audits ran`);
    const failures = results.filter((r) => r.name.startsWith('MUST') && r.status !== 'ok');
    assert.deepEqual(failures.map((r) => `${r.name}: ${r.status === 'ok' ? '' : r.reason}`), []);
  });

  it('fails no SHOULD or MAY audit beyond the documented ones', (ctx) => {
    const failures = results.filter((r) => r.status !== 'ok');
    for (const failure of failures) ctx.diagnostic(`${failure.name}`);
    assert.deepEqual(failures.map((r) => r.name).filter((name) => !ACCEPTED_RECOMMENDATIONS.has(name)), []);
  });
});
