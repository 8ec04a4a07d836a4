import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchemaSync } from 'type-graphql';
import { AuthResolver } from './resolvers/auth.resolver';
import { UserResolver } from './resolvers/user.resolver';
import { DateTime } from './types/scalars';

/** The schema as type-graphql builds it, before graphql-shield wraps it. */
export function buildBaseSchema(): GraphQLSchema {
  return buildSchemaSync({
    resolvers: [AuthResolver, UserResolver],
    scalarsMap: [{ type: Date, scalar: DateTime }],
    validate: false,
  });
}

/** The SDL committed as schema/schema.graphql; a test fails when it is stale. */
export function printSdl(schema: GraphQLSchema): string {
  return printSchema(lexicographicSortSchema(schema)) + '\n';
}
