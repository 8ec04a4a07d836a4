import { DateTimeResolver, JSONResolver } from 'graphql-scalars';

/** ISO-8601 date-time (contract.md: `scalar DateTime`). */
export const DateTime = DateTimeResolver;

/** Free-form JSON (`scalar JSON`), for the detail of an audit event. */
export const JsonScalar = JSONResolver;
