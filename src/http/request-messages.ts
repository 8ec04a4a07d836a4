/**
 * What a production client reads for an error of the request itself (the `reason` of a
 * BAD_USER_INPUT request error: docs/errors.md). graphql-js's validation messages name the
 * schema's types, fields and arguments ("Field "user" of type "User" must have a selection of
 * subfields"), which schema-recovery tools (clairvoyance) feed on; Apollo's and graphql-armor's
 * name the libraries and their settings. In production each becomes a fixed sentence per rule,
 * naming nothing; the code, the `reason` and the locations (which point into the caller's own
 * text) stay.
 *
 * Why a table on the library's message rather than our own copies of the validation rules:
 * Apollo Server always runs graphql-js's `specifiedRules` itself (a config can only add rules),
 * so the messages cannot be changed at their source. The table is fail-closed: a message no
 * entry recognises (a new rule, a reworded one after an upgrade) gets its reason's generic
 * sentence, never its own text; test/security/error-surface.test.ts triggers every specified
 * rule and fails when one falls through to the generic sentence.
 */
import { GRAPHQL_LIMITS } from './graphql-limits';

type Table = ReadonlyArray<readonly [RegExp, string]>;

const INTROSPECTION_DISABLED = 'Introspection is disabled on this server.';

const VALIDATION: Table = [
  [/^Cannot query field /, 'The document selects a field that does not exist here.'],
  [/must have a selection of subfields|must have at least one field selected/, 'A field that returns an object needs a selection of subfields.'],
  [/must not have a selection since /, 'A field that returns a scalar cannot have a selection of subfields.'],
  [/^Unknown type /, 'The document names an unknown type.'],
  [/^Unknown argument /, 'An argument is not accepted here.'],
  [/^Unknown directive /, 'The document uses an unknown directive.'],
  [/^Directive "[^"]*" may not be used on /, 'A directive is used where it is not allowed.'],
  [/can only be used once at this location/, 'A directive is repeated on one field or fragment.'],
  [/^Unknown fragment /, 'A fragment spread names no fragment of the document.'],
  [/^Fragment "[^"]*" is never used/, 'A fragment is defined but never used.'],
  [/^Cannot spread fragment /, 'A fragment spreads itself.'],
  [/cannot be spread here as objects of type /, 'A fragment is spread where its type can never match.'],
  [/cannot condition on non composite type /, 'A fragment is on a type that has no fields.'],
  [/^Fields "[^"]*" conflict because /, 'Two selections with the same response name conflict.'],
  [/^There can be only one /, 'A name is defined more than once.'],
  [/^Variable "[^"]*" is not defined/, 'A variable is used but not defined by its operation.'],
  [/^Variable "[^"]*" is never used/, 'A variable is defined but never used.'],
  [/^Variable "[^"]*" cannot be non-input type /, 'A variable must have an input type.'],
  [/ used in position expecting type |must be non-nullable to be used for OneOf/, "A variable's type does not fit where it is used."],
  [/^(Field|Directive) "[^"]*" argument "[^"]*" of type "[^"]*" is required/, 'A required argument is missing.'],
  [/^Field "[^"]*" of required type "[^"]*" was not provided/, 'A required input field is missing.'],
  [/^Field "[^"]*" is not defined by type /, 'An input object has a field that does not exist.'],
  [/^Expected value of type |cannot represent|^OneOf Input Object |^Field "[^"]*" must be non-null/, 'A value does not fit the argument or input field it is given to.'],
  [/^This anonymous operation must be the only defined operation/, 'An anonymous operation must be the only operation of the document.'],
  [/ definition is not executable/, 'The document may contain only operations and fragments.'],
  [/^(Subscription "[^"]*"|Anonymous Subscription) must /, 'Subscriptions are not supported.'],
  [/^Maximum introspection depth exceeded/, 'The introspection query is nested too deeply.'],
  [/^GraphQL introspection is not allowed/, INTROSPECTION_DISABLED],
];

const PARSE: Table = [[/^Syntax Error: Document contains more th(an|at) \d+ tokens/, `The document has more tokens than the limit of ${GRAPHQL_LIMITS.maxTokens}.`]];

const VARIABLES: Table = [
  [/^Variable "[^"]*" of required type "[^"]*" was not provided/, 'A required variable was not provided.'],
  [/^Variable "[^"]*" of non-null type "[^"]*" must not be null/, 'A required variable is null.'],
  [/^Variable "[^"]*" (got|has) invalid value/, "A variable's value does not fit its type."],
];

const BAD_REQUEST: Table = [
  [/Cross-Site Request Forgery/, 'Refused as a possible cross-site request: send a POST with Content-Type: application/json.'],
  [/^POST body missing/, 'The request needs a body with Content-Type: application/json.'],
  [/^Operation batching disabled/, 'Batched requests are not supported: send one operation per request.'],
  [/must contain a non-empty `query`/, 'The request has no query.'],
  [/^GET requests only support query operations/, 'Only queries can be sent with GET: send mutations with POST.'],
  [/supports only GET\/POST requests/, 'Only GET and POST are supported.'],
];

const OPERATION: Table = [
  [/^Unknown operation named /, 'operationName names no operation of the document.'],
  [/^Must provide operation name /, 'The document has several operations: name one with operationName.'],
];

const TABLES: Record<string, { table: Table; otherwise: string }> = {
  GRAPHQL_VALIDATION_FAILED: { table: VALIDATION, otherwise: 'The document is not valid for this API.' },
  GRAPHQL_PARSE_FAILED: { table: PARSE, otherwise: 'The document is not valid GraphQL syntax.' },
  BAD_USER_INPUT: { table: VARIABLES, otherwise: "A variable's value is not valid." },
  BAD_REQUEST: { table: BAD_REQUEST, otherwise: 'The request is malformed.' },
  OPERATION_RESOLUTION_FAILURE: { table: OPERATION, otherwise: 'The operation to run could not be determined.' },
  PERSISTED_QUERY_NOT_SUPPORTED: { table: [], otherwise: 'Persisted queries are not supported: send the query text.' },
  PERSISTED_QUERY_NOT_FOUND: { table: [], otherwise: 'Persisted queries are not supported: send the query text.' },
};

/** The sentence a production client reads for a request error of `reason` whose library text is `message`. */
export function productionRequestMessage(reason: string, message: string): string {
  const entry = TABLES[reason];
  if (!entry) return 'The request is malformed.';
  return entry.table.find(([pattern]) => pattern.test(message))?.[1] ?? entry.otherwise;
}

/** True when `message` would fall through to its reason's generic sentence (the sync test's probe). */
export function isUnrecognised(reason: string, message: string): boolean {
  const entry = TABLES[reason];
  return !entry || !entry.table.some(([pattern]) => pattern.test(message));
}

/** Library text replaced in every mode: it gives advice about settings the operator does not have. */
export function developmentRequestMessage(reason: string, message: string): string {
  if (reason === 'GRAPHQL_VALIDATION_FAILED' && /^GraphQL introspection is not allowed/.test(message)) return `${INTROSPECTION_DISABLED} (INTROSPECTION_ENABLED)`;
  return message;
}
