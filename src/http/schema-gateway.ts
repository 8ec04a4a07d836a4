import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import type { GraphQLSchema } from 'graphql';

/**
 * Apollo Server 4 and 5 take a custom executor only through the `gateway` option (Apollo's
 * migration guide, "executor"). This gateway serves one fixed schema and hands over the executor;
 * the request pipeline is Apollo's own either way: parsing, validation with our limits, the
 * plugins' hooks and formatError, which masks what an executor returns as it masks graphql-js's.
 */
export function schemaGateway(schema: GraphQLSchema, executor: GatewayExecutor): GatewayInterface {
  return {
    onSchemaLoadOrUpdate(callback) {
      // Only Apollo's schema reporting reads the SDL, and it is disabled (src/http/apollo.ts).
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => {};
    },
    async load() {
      return { executor };
    },
    async stop() {},
  };
}
