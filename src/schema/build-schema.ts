import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchemaSync } from 'type-graphql';
import { AccountResolver } from './resolvers/account.resolver';
import { ApiTokenResolver } from './resolvers/api-token.resolver';
import { AuditResolver } from './resolvers/audit.resolver';
import { AuthResolver } from './resolvers/auth.resolver';
import { DeviceResolver } from './resolvers/device.resolver';
import { EmailResolver } from './resolvers/email.resolver';
import { OAuthResolver } from './resolvers/oauth.resolver';
import { SessionResolver } from './resolvers/session.resolver';
import { UserResolver } from './resolvers/user.resolver';
import { DateTime } from './types/scalars';
import { withAuthDirectives } from '../permissions/directives';

/**
 * The schema as type-graphql builds it, before graphql-shield wraps it. Object types declare
 * `simpleResolvers: true`: we use no type-graphql middleware, and its per-field wrapper would
 * otherwise run on every field of every item of a list.
 */
export function buildBaseSchema(): GraphQLSchema {
  return buildSchemaSync({
    resolvers: [AuthResolver, UserResolver, SessionResolver, AccountResolver, AuditResolver, DeviceResolver, ApiTokenResolver, EmailResolver, OAuthResolver],
    scalarsMap: [{ type: Date, scalar: DateTime }],
    validate: false,
  });
}

/**
 * The SDL committed as schema/schema.graphql; a test fails when it is stale. It carries the
 * @authenticated and @requiresScopes directives generated from the rule table
 * (src/permissions/directives.ts), for a router in front of us to enforce the same policy.
 */
export function printSdl(schema: GraphQLSchema): string {
  return withAuthDirectives(printSchema(lexicographicSortSchema(schema)));
}
