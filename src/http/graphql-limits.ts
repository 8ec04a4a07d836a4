import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, type ParseOptions, type ValidationContext, type ValidationRule } from 'graphql';

/**
 * Bounds on the shape of a GraphQL document (OWASP GraphQL cheat sheet, "Query limiting";
 * ASVS 5.0 V4.3.1), enforced before execution. Chosen with room above every operation in
 * src/client/operations (deepest: 4 levels, costliest: ~103, largest: <100 tokens) and above
 * the introspection query Apollo Sandbox sends in development (~190 tokens; introspection is
 * exempt from depth and cost). test/security/graphql-limits.test.ts holds both sides.
 */
export const GRAPHQL_LIMITS = Object.freeze({
  /** Fragments are flattened: a spread does not add a level, nesting does. */
  maxDepth: 8,
  /** Every alias counts, `__typename` too: aliases multiply work (and login attempts, security.md #24). */
  maxAliases: 15,
  /** Directive overloading (`@a@a@a...`) costs the parser and validator before any rule runs. */
  maxDirectives: 10,
  maxTokens: 1000,
  /**
   * graphql-armor's static cost: 1 per scalar, 2 per object, x1.5 per level, times a literal
   * `first`. The Users operation with `first: 100` written in costs ~3,400; 100 users with 100
   * audit events each ~120,000. A `first` passed as a variable is not multiplied: the resolvers
   * cap it at 100 (src/schema/page-size.ts).
   */
  maxCost: 5000,
});

export interface GraphqlLimits {
  plugins: ApolloServerPlugin[];
  validationRules: ValidationRule[];
  parseOptions: ParseOptions;
}

/** Reports a refusal as a validation error of the client's (armor prefixes "Syntax Error:", which it is not). */
function refuse(context: ValidationContext | null, error: GraphQLError): void {
  context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code: 'BAD_USER_INPUT' } }));
}

/**
 * graphql-armor's Apollo protections, as validation rules: an over-limit document is refused
 * with a 400 and BAD_USER_INPUT (format-error.ts) and nothing of it runs. Field suggestions
 * are Apollo's business (hideSchemaDetailsFromClientErrors in production); armor masks them
 * there as well.
 *
 * The token limit is graphql-js's own `maxTokens` parse option, which Apollo applies in its one
 * parse: armor's Apollo token plugin parses every document a second time and its refusal
 * surfaces as a 500.
 */
export function createGraphqlLimits(options: { production: boolean }): GraphqlLimits {
  const reject = { propagateOnRejection: false, onReject: [refuse] };
  const armor = new ApolloArmor({
    maxDepth: { n: GRAPHQL_LIMITS.maxDepth, flattenFragments: true, ...reject },
    maxAliases: { n: GRAPHQL_LIMITS.maxAliases, allowList: [], ...reject },
    maxDirectives: { n: GRAPHQL_LIMITS.maxDirectives, ...reject },
    costLimit: { maxCost: GRAPHQL_LIMITS.maxCost, ...reject },
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: options.production },
  });
  const { plugins, validationRules } = armor.protect();
  return { plugins, validationRules, parseOptions: { maxTokens: GRAPHQL_LIMITS.maxTokens } };
}
