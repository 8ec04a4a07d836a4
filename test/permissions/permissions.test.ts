import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execute, GraphQLObjectType, GraphQLSchema, GraphQLString, isObjectType, parse } from 'graphql';
import { applyPermissions } from '../../src/permissions/apply-permissions';
import { permissionRules } from '../../src/permissions/permissions';
import { effectiveScopes } from '../../src/permissions/scopes';
import { buildBaseSchema } from '../../src/schema/build-schema';

describe('permissions: deny by default', () => {
  it('#32 every field of every object type in the built schema has an explicit rule', () => {
    const schema = buildBaseSchema();
    const rules = permissionRules as Record<string, unknown>;
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      const entry = rules[type.name];
      if (entry === undefined) {
        missing.push(`${type.name} (whole type)`);
        continue;
      }
      // A rule object (not a plain map of fields) covers the whole type.
      if (Object.getPrototypeOf(entry) !== Object.prototype) continue;
      for (const field of Object.keys(type.getFields())) {
        if (!(field in (entry as Record<string, unknown>))) missing.push(`${type.name}.${field}`);
      }
    }
    assert.deepEqual(missing, [], 'add these to src/permissions/permissions.ts');
  });

  it('#32 rules name no field that the schema does not have (no stale entries)', () => {
    const schema = buildBaseSchema();
    const stale: string[] = [];
    for (const [typeName, entry] of Object.entries(permissionRules as Record<string, unknown>)) {
      const type = schema.getType(typeName);
      if (!type || !isObjectType(type)) {
        stale.push(typeName);
        continue;
      }
      if (Object.getPrototypeOf(entry) !== Object.prototype) continue;
      for (const field of Object.keys(entry as object)) if (!(field in type.getFields())) stale.push(`${typeName}.${field}`);
    }
    assert.deepEqual(stale, []);
  });

  it('#32 a field added without a rule is denied to everyone at run time', async () => {
    // The real schema plus one field nobody wrote a rule for.
    const base = buildBaseSchema();
    const query = base.getQueryType()!.toConfig();
    const schema = new GraphQLSchema({
      ...base.toConfig(),
      types: base.toConfig().types.filter((t) => t.name !== 'Query'),
      query: new GraphQLObjectType({ ...query, fields: { ...query.fields, secret: { type: GraphQLString, resolve: () => 'leaked' } } }),
    });
    const shielded = applyPermissions(schema);
    const admin = {
      viewer: { userId: 'u', sessionId: 's', apiTokenId: null, credential: 'session', role: 'ADMIN', scopes: effectiveScopes('ADMIN', null) },
      authError: null,
      provenUsers: new Set(),
    };
    const result = await execute({ schema: shielded, document: parse('{ secret }'), contextValue: admin });
    assert.equal(result.data?.secret, null);
    assert.equal(result.errors?.[0]?.extensions.code, 'FORBIDDEN');
    assert.equal(result.errors?.[0]?.extensions.reason, 'NO_RULE');
  });
});
