import assert from 'node:assert/strict';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { execute, type ExecuteOptions, type ExecutionResult } from '../../src/client/execute';
import { LoginDocument, SignupDocument, type AuthPayloadFieldsFragment } from '../../src/client/generated/graphql';

export function call<TData, TVariables extends Record<string, unknown>>(
  baseUrl: string,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  options?: ExecuteOptions,
): Promise<ExecutionResult<TData>> {
  return execute(`${baseUrl}/graphql`, document, variables, options);
}

/** Raw POST for requests a typed client would never send (forged, malformed, oversized). */
export async function post(baseUrl: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }> } = {};
  try {
    json = JSON.parse(text);
  } catch {
    // leave empty: the caller asserts on status
  }
  return { status: response.status, headers: response.headers, text, ...json };
}

export function assertErrorCode(result: { errors?: Array<{ extensions?: Record<string, unknown> }> | undefined }, code: string, extras: Record<string, unknown> = {}): void {
  assert.ok(result.errors && result.errors.length > 0, `expected an error with code ${code}, got none`);
  const error = result.errors[0]!;
  assert.equal(error.extensions?.code, code, `expected code ${code}, got ${JSON.stringify(error)}`);
  for (const [key, value] of Object.entries(extras)) assert.equal(error.extensions?.[key], value, `extensions.${key}`);
}

let counter = 0;
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}${counter}-${process.pid}@example.com`;
}

export const PASSWORD = 'correct horse battery staple';

export async function signup(baseUrl: string, input: { email?: string; password?: string; displayName?: string } = {}): Promise<AuthPayloadFieldsFragment & { refreshToken: string }> {
  const result = await call(baseUrl, SignupDocument, { input: { email: input.email ?? uniqueEmail(), password: input.password ?? PASSWORD, displayName: input.displayName } });
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  const payload = result.data!.signup;
  assert.ok(payload.refreshToken);
  return payload as AuthPayloadFieldsFragment & { refreshToken: string };
}

export async function login(baseUrl: string, email: string, password = PASSWORD) {
  const result = await call(baseUrl, LoginDocument, { input: { email, password } });
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  return result.data!.login as AuthPayloadFieldsFragment & { refreshToken: string };
}
