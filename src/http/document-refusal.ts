import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, visit, type ASTNode, type DirectiveNode, type GraphQLFormattedError, type ValidationContext, type ValidationRule } from 'graphql';

/**
 * A document Keycard refuses as a whole (over a limit, an operation type it does not serve):
 * our own words, with a development message that may carry the measured figure and a
 * production message that carries nothing but the rule. When a document has a refusal, the
 * answer carries the refusals only: the other validation errors of a flood would be the
 * amplification the limit exists to stop (graphql-cop "directive overloading").
 */
export class DocumentRefusal extends GraphQLError {
  readonly publicMessage: string;
  constructor(message: string, publicMessage: string = message) {
    super(message, { extensions: { code: 'BAD_USER_INPUT' } });
    this.name = 'DocumentRefusal';
    this.publicMessage = publicMessage;
  }
}

/** Formatted errors that stand for a refusal (formatError marks them; the plugin below keeps only them). */
const refusals = new WeakSet<GraphQLFormattedError>();

export function markRefusal(formatted: GraphQLFormattedError): GraphQLFormattedError {
  refusals.add(formatted);
  return formatted;
}

/** One answer for a refused document: its refusal(s), none of the errors the rest of validation found. */
export function refusalsOnlyPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const errors = response.body.singleResult.errors;
          if (!errors?.some((e) => refusals.has(e))) return;
          response.body.singleResult.errors = errors.filter((e) => refusals.has(e));
        },
      };
    },
  };
}

/**
 * Directive overloading (`__typename @aa@aa@aa...`): more than `max` directives in the document,
 * or one directive repeated on one node, is refused with one error, before any other rule
 * reports one error per directive. Counted on the syntax: it is the parser's and the
 * validator's work that the flood costs. Runs on the Document node, before the rules that
 * visit directives. None of Keycard's directives is repeatable.
 */
export function directiveLimitRule(max: number): ValidationRule {
  return (context: ValidationContext) => ({
    Document(document) {
      let total = 0;
      let repeated = false;
      visit(document, {
        enter(node: ASTNode) {
          const directives = (node as { directives?: readonly DirectiveNode[] }).directives;
          if (!directives?.length || node.kind === Kind.DIRECTIVE_DEFINITION) return;
          total += directives.length;
          if (new Set(directives.map((d) => d.name.value)).size < directives.length) repeated = true;
        },
      });
      if (total > max) {
        context.reportError(new DocumentRefusal(`The document has ${total} directives, more than the limit of ${max}.`, `The document has more directives than the limit of ${max}.`));
      } else if (repeated) {
        context.reportError(new DocumentRefusal('A directive is repeated on one field or fragment.'));
      }
      return false;
    },
  });
}

/** Keycard serves queries and mutations over HTTP; a subscription is the client's mistake, not a server error. */
export const servedOperationTypesRule: ValidationRule = (context: ValidationContext) => ({
  OperationDefinition(operation) {
    if (context.getSchema().getRootType(operation.operation)) return;
    context.reportError(new DocumentRefusal(`${operation.operation === 'subscription' ? 'Subscriptions are' : 'This operation type is'} not supported.`));
  },
});
