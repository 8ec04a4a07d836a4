import { DateTimeResolver } from 'graphql-scalars';

/** ISO-8601 date-time (contract.md: `scalar DateTime`). */
export const DateTime = DateTimeResolver;
