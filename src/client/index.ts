/** The Keycard client SDK: one import for Node, mobile and browser code. */
export { createKeycardClient } from './keycard-client';
export type { ApiTokenInfo, AuthPayload, AuthProvider, GraphQLResult, KeycardClient, KeycardClientOptions, LinkedIdentity, LoginFields, Me, MySession, NewApiTokenResult, OAuthAuthorization, SignupFields } from './keycard-client';
export { KeycardApiError } from './keycard-api-error';
export { createMemoryRefreshTokenStore, type RefreshTokenStore } from './refresh-token-store';
export { execute, type ExecuteOptions, type ExecutionResult, type FetchCredentials, type GraphQLErrorShape } from './execute';
export * from './generated/graphql';
