import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { GraphQLError, ParseOptions, ValidationContext, ValidationRule } from 'graphql';
import { DocumentRefusal, directiveLimitRule, refusalsOnlyPlugin, servedOperationTypesRule } from './document-refusal';

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

/**
 * Reports an armor refusal in our words: armor's own text ("Query Cost limit of 5000 exceeded,
 * found 349999996.5", prefixed "Syntax Error:") is library text. The measured figure stays in
 * development only.
 */
function refuseWith(publicMessage: string) {
  return (context: ValidationContext | null, error: GraphQLError): void => {
    const found = /found (\d[\d.e+]*?)\.?$/i.exec(error.message)?.[1];
    context?.reportError(new DocumentRefusal(found ? publicMessage.replace(/\.$/, ` (found ${found}).`) : publicMessage, publicMessage));
  };
}

/**
 * graphql-armor's Apollo protections, as validation rules: an over-limit document is refused
 * with a 400 and BAD_USER_INPUT (format-error.ts) and nothing of it runs. The directive bound
 * and the refusal of subscriptions are our own rules; a refused document answers its
 * refusal(s) only (document-refusal.ts). Field suggestions
 * are Apollo's business (hideSchemaDetailsFromClientErrors in production).
 *
 * The token limit is graphql-js's own `maxTokens` parse option, which Apollo applies in its one
 * parse: armor's Apollo token plugin parses every document a second time and its refusal
 * surfaces as a 500.
 */
export function createGraphqlLimits(): GraphqlLimits {
  const reject = (message: string) => ({ propagateOnRejection: false, onReject: [refuseWith(message)] });
  const armor = new ApolloArmor({
    maxDepth: { n: GRAPHQL_LIMITS.maxDepth, flattenFragments: true, ...reject(`The document's depth is over the limit of ${GRAPHQL_LIMITS.maxDepth} levels.`) },
    maxAliases: { n: GRAPHQL_LIMITS.maxAliases, allowList: [], ...reject(`The document has more aliases than the limit of ${GRAPHQL_LIMITS.maxAliases}.`) },
    // Ours (document-refusal.ts): one error for a flood, repeated directives included.
    maxDirectives: { enabled: false },
    costLimit: { maxCost: GRAPHQL_LIMITS.maxCost, ...reject(`The document costs more than the limit of ${GRAPHQL_LIMITS.maxCost}.`) },
    maxTokens: { enabled: false },
    // Suggestions ("Did you mean ...?") never reach a client in production without it: Apollo
    // drops them (hideSchemaDetailsFromClientErrors) and formatError replaces every validation
    // message with a fixed sentence (request-messages.ts). Its plugin would add a listener, two
    // promises and ~2 KB of garbage to every request (sampling heap profile of `me`).
    blockFieldSuggestion: { enabled: false },
  });
  const { plugins, validationRules } = armor.protect();
  return {
    plugins: [...plugins, refusalsOnlyPlugin()],
    validationRules: [directiveLimitRule(GRAPHQL_LIMITS.maxDirectives), servedOperationTypesRule, ...validationRules],
    parseOptions: { maxTokens: GRAPHQL_LIMITS.maxTokens },
  };
}
