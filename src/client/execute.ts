import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

export interface GraphQLErrorShape {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: { code?: string; reason?: string; field?: string; retryAfter?: number; [key: string]: unknown };
}

export interface ExecutionResult<TData> {
  status: number;
  headers: Headers;
  data: TData | null | undefined;
  errors: GraphQLErrorShape[] | undefined;
}

/** fetch's `credentials` option, from whichever RequestInit is in scope: Node's or the DOM's. */
export type FetchCredentials = NonNullable<RequestInit['credentials']>;

export interface ExecuteOptions {
  accessToken?: string;
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  credentials?: FetchCredentials;
}

const printed = new WeakMap<object, string>();

/** One typed GraphQL request over HTTP: a schema change that breaks a document breaks its caller's build. */
export async function execute<TData, TVariables extends Record<string, unknown>>(
  endpoint: string,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  options: ExecuteOptions = {},
): Promise<ExecutionResult<TData>> {
  let query = printed.get(document);
  if (query === undefined) {
    query = print(document);
    printed.set(document, query);
  }
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...options.headers };
  if (options.accessToken) headers.authorization = `Bearer ${options.accessToken}`;
  const response = await (options.fetch ?? fetch)(endpoint, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables }),
    credentials: options.credentials,
  });
  const body = (await response.json()) as { data?: TData | null; errors?: GraphQLErrorShape[] };
  return { status: response.status, headers: response.headers, data: body.data, errors: body.errors };
}
