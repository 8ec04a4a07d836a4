import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { readCsrfCookie } from './csrf-cookie';
import { execute, type FetchCredentials, type GraphQLErrorShape } from './execute';
import {
  ApproveDeviceDocument,
  DenyDeviceDocument,
  DeviceRequestDocument,
  CreateApiTokenDocument,
  ChangeEmailDocument,
  LoginWithMagicLinkDocument,
  RequestEmailVerificationDocument,
  RequestMagicLinkDocument,
  RequestPasswordResetDocument,
  ResetPasswordDocument,
  VerifyEmailDocument,
  AuthProvidersDocument,
  CompleteOAuthLoginDocument,
  LinkIdentityDocument,
  MyIdentitiesDocument,
  StartOAuthLoginDocument,
  UnlinkIdentityDocument,
  LoginDocument,
  LogoutAllDocument,
  LogoutDocument,
  MeDocument,
  MyApiTokensDocument,
  MySessionsDocument,
  RefreshDocument,
  RevokeApiTokenDocument,
  SignupDocument,
  type ApiTokenFieldsFragment,
  type AuthPayloadFieldsFragment,
  type DeviceRequestQuery,
  type AuthProvidersQuery,
  type LinkIdentityMutation,
  type StartOAuthLoginMutation,
  type LoginInput,
  type MeQuery,
  type MySessionsQuery,
  type SignupInput,
} from './generated/graphql';
import { hasError, KeycardApiError, notSignedIn } from './keycard-api-error';
import { createMemoryRefreshTokenStore, type RefreshTokenStore } from './refresh-token-store';
import { singleFlight } from './single-flight';

interface CommonOptions {
  /** The GraphQL endpoint: `https://api.example.com/graphql`, or `/graphql` in a page of the same origin. */
  endpoint: string;
  /** Defaults to the global fetch. Wrap it to add headers, logging or a timeout. */
  fetch?: typeof fetch;
}

export type KeycardClientOptions =
  | (CommonOptions & {
      /** Node, mobile apps, services: the refresh token comes back in the JSON body and is kept in `storage`. */
      mode: 'body';
      /** @default a store in memory, lost when the process ends */
      storage?: RefreshTokenStore;
    })
  | (CommonOptions & {
      /**
       * Browsers: the refresh token lives in an HttpOnly cookie that scripts never see; the
       * client sends the X-CSRF-Token header on refresh and logout.
       */
      mode: 'cookie';
    });

export type SignupFields = Omit<SignupInput, 'delivery'>;
export type LoginFields = Omit<LoginInput, 'delivery'>;
export type AuthPayload = AuthPayloadFieldsFragment;
export type Me = MeQuery['me'];
export type MySession = NonNullable<NonNullable<MySessionsQuery['me']>['sessions']>[number];
export type DeviceRequest = NonNullable<DeviceRequestQuery['deviceRequest']>;
export type ApiTokenInfo = ApiTokenFieldsFragment;
export interface NewApiTokenResult {
  /** The token itself: shown this once, never again. Send it as `Authorization: Bearer kcp_...`. */
  token: string;
  apiToken: ApiTokenInfo;
}

export type AuthProvider = AuthProvidersQuery['authProviders'][number];
export type OAuthAuthorization = StartOAuthLoginMutation['startOAuthLogin'];
export type LinkedIdentity = LinkIdentityMutation['linkIdentity'];

export interface GraphQLResult<TData> {
  data: TData | null | undefined;
  errors: GraphQLErrorShape[] | undefined;
}

export interface KeycardClient {
  readonly mode: 'body' | 'cookie';
  signup(input: SignupFields): Promise<AuthPayload>;
  login(input: LoginFields): Promise<AuthPayload>;
  /** Rotates the refresh token for a new access token. Concurrent calls share one request. */
  refresh(): Promise<AuthPayload>;
  /** Ends this session. False when there was no session left to end; local state is cleared either way. */
  logout(): Promise<boolean>;
  logoutAll(): Promise<boolean>;
  /** The signed-in user, or null with no access token. */
  me(): Promise<Me>;
  /** The signed-in user's live sessions, or null with no access token. */
  sessions(): Promise<MySession[] | null>;
  /** What the device showing `userCode` asks for (client, scopes); null for an unknown, expired or decided code. */
  deviceRequest(userCode: string): Promise<DeviceRequest | null>;
  /** Lets the device showing `userCode` sign in as the signed-in user (RFC 8628). */
  approveDevice(userCode: string): Promise<boolean>;
  /** Refuses the device showing `userCode`. */
  denyDevice(userCode: string): Promise<boolean>;
  /** Creates an API token (needs a signed-in session); `expiresIn` like "90d", none for no expiry. */
  createApiToken(input: { name: string; scopes: string[]; expiresIn?: string | null }): Promise<NewApiTokenResult>;
  /** The signed-in user's live API tokens, or null with no access token. */
  apiTokens(): Promise<ApiTokenInfo[] | null>;
  /** Revokes an API token by id; false if it was already revoked. */
  revokeApiToken(id: string): Promise<boolean>;
  /** Mails the signed-in user a link and a code to verify their address. */
  requestEmailVerification(): Promise<boolean>;
  /** A link token, or a code (with the address it was mailed to, unless signed in as its owner). */
  verifyEmail(token: string, email?: string): Promise<boolean>;
  /** Always true: says nothing about whether the address has an account. */
  requestPasswordReset(email: string): Promise<boolean>;
  /** Ends every session of the user, this client's included: sign in again afterwards. */
  resetPassword(token: string, newPassword: string, email?: string): Promise<boolean>;
  /** Always true: says nothing about whether the address has an account. */
  requestMagicLink(email: string): Promise<boolean>;
  /** Signs in with a magic link token or code, like login. */
  loginWithMagicLink(token: string, email?: string): Promise<AuthPayload>;
  /** Needs the current password; the address changes once the new one is verified. */
  changeEmail(newEmail: string, currentPassword: string): Promise<boolean>;
  /** The configured social-login providers, for "Sign in with ..." buttons. */
  authProviders(): Promise<AuthProvider[]>;
  /**
   * Starts social login: send the person to `authorizationUrl`; the provider comes back to
   * `redirectUri?code=...&state=...`. `link: true` (signed in) starts a link to this account instead.
   */
  startOAuthLogin(provider: string, redirectUri: string, options?: { link?: boolean }): Promise<OAuthAuthorization>;
  /** Finishes social login with the code and state from the redirect, and signs in (this client's mode). */
  completeOAuthLogin(provider: string, code: string, state: string): Promise<AuthPayload>;
  /** Finishes a link started with `startOAuthLogin(..., { link: true })`. */
  linkIdentity(provider: string, code: string, state: string): Promise<LinkedIdentity>;
  unlinkIdentity(id: string): Promise<boolean>;
  /** The signed-in user's linked providers, or null with no access token. */
  identities(): Promise<LinkedIdentity[] | null>;
  /**
   * Any typed document, with the access token and the refresh-on-expiry retry. Returns data and
   * errors as the server sent them, since GraphQL keeps partial data next to field errors.
   */
  request<TData, TVariables extends Record<string, unknown>>(document: TypedDocumentNode<TData, TVariables>, variables: TVariables): Promise<GraphQLResult<TData>>;
  /** The access token in memory, e.g. to paste into Apollo Sandbox's Authorization header. */
  accessToken(): string | null;
}

/**
 * A typed Keycard client. The access token lives only in memory (never in localStorage, where
 * any injected script could read it). When a call fails with UNAUTHENTICATED TOKEN_EXPIRED the
 * client refreshes once and retries; concurrent calls share that one refresh.
 */
export function createKeycardClient(options: KeycardClientOptions): KeycardClient {
  const { endpoint, mode } = options;
  const fetchImpl = options.fetch;
  const store = options.mode === 'body' ? (options.storage ?? createMemoryRefreshTokenStore()) : null;
  // Cookie mode: ride the browser's cookie jar. Body mode: never send cookies, so a body-mode
  // client in a browser cannot be steered by a cookie it did not ask for.
  const credentials: FetchCredentials = mode === 'cookie' ? 'include' : 'omit';
  let accessToken: string | null = null;
  let lastCsrfToken: string | null = null;

  function send<TData, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
    bearer: string | null,
    headers: Record<string, string> = {},
  ): Promise<GraphQLResult<TData>> {
    return execute(endpoint, document, variables, { accessToken: bearer ?? undefined, fetch: fetchImpl, credentials, headers });
  }

  /** OWASP CSRF cheat sheet: a custom header that a cross-site form or image can never carry. */
  function csrfHeaders(): Record<string, string> {
    const token = readCsrfCookie() ?? lastCsrfToken;
    return token ? { 'x-csrf-token': token } : {};
  }

  async function adopt(payload: AuthPayload): Promise<AuthPayload> {
    accessToken = payload.accessToken;
    if (store) await store.set(payload.refreshToken);
    else if (payload.csrfToken) lastCsrfToken = payload.csrfToken;
    return payload;
  }

  async function forget(): Promise<void> {
    accessToken = null;
    lastCsrfToken = null;
    if (store) await store.set(null);
  }

  function dataOrThrow<TData>(result: GraphQLResult<TData>): TData {
    if (result.errors?.length || !result.data) throw new KeycardApiError(result.errors ?? []);
    return result.data;
  }

  const refresh = singleFlight(async (): Promise<AuthPayload> => {
    let result: GraphQLResult<{ refresh: AuthPayload }>;
    if (store) {
      const refreshToken = await store.get();
      if (!refreshToken) throw notSignedIn();
      result = await send(RefreshDocument, { refreshToken }, null);
    } else {
      result = await send(RefreshDocument, {}, null, csrfHeaders());
    }
    // The session is over (expired, revoked, reused): drop what we hold. A CSRF refusal or a
    // network error says nothing about the session, so the tokens are kept.
    if (hasError(result.errors, 'INVALID_REFRESH_TOKEN')) await forget();
    return adopt(dataOrThrow(result).refresh);
  });

  async function authorized<TData, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
  ): Promise<GraphQLResult<TData>> {
    const sentWith = accessToken;
    const first = await send(document, variables, sentWith);
    if (sentWith === null || !hasError(first.errors, 'UNAUTHENTICATED', 'TOKEN_EXPIRED')) return first;
    // A call that left before another one's refresh finished retries with the new token
    // instead of refreshing a second time.
    if (accessToken === sentWith) {
      try {
        await refresh();
      } catch (error) {
        if (error instanceof KeycardApiError) return first;
        throw error;
      }
    }
    if (accessToken === null) return first;
    return send(document, variables, accessToken);
  }

  return {
    mode,

    async signup(input) {
      const result = await send(SignupDocument, { input: { ...input, delivery: mode === 'cookie' ? 'COOKIE' : 'BODY' } }, null);
      return adopt(dataOrThrow(result).signup);
    },

    async login(input) {
      const result = await send(LoginDocument, { input: { ...input, delivery: mode === 'cookie' ? 'COOKIE' : 'BODY' } }, null);
      return adopt(dataOrThrow(result).login);
    },

    refresh,

    async logout() {
      let result: GraphQLResult<{ logout: boolean }>;
      const refreshToken = store ? await store.get() : null;
      if (refreshToken) result = await send(LogoutDocument, { refreshToken }, null);
      else if (store && !accessToken) return false;
      // The bearer goes along so that the session still ends when the browser did not send the cookie.
      else result = await send(LogoutDocument, {}, accessToken, store ? {} : csrfHeaders());
      if (hasError(result.errors, 'UNAUTHENTICATED')) {
        await forget();
        return false;
      }
      const ended = dataOrThrow(result).logout;
      await forget();
      return ended;
    },

    async logoutAll() {
      const ended = dataOrThrow(await authorized(LogoutAllDocument, {})).logoutAll;
      await forget();
      return ended;
    },

    async me() {
      return dataOrThrow(await authorized(MeDocument, {})).me;
    },

    async sessions() {
      return dataOrThrow(await authorized(MySessionsDocument, {})).me?.sessions ?? null;
    },

    async deviceRequest(userCode) {
      return dataOrThrow(await authorized(DeviceRequestDocument, { userCode })).deviceRequest ?? null;
    },

    async approveDevice(userCode) {
      return dataOrThrow(await authorized(ApproveDeviceDocument, { userCode })).approveDevice;
    },

    async denyDevice(userCode) {
      return dataOrThrow(await authorized(DenyDeviceDocument, { userCode })).denyDevice;
    },

    async createApiToken({ name, scopes, expiresIn = null }) {
      return dataOrThrow(await authorized(CreateApiTokenDocument, { name, scopes, expiresIn })).createApiToken;
    },

    async apiTokens() {
      return dataOrThrow(await authorized(MyApiTokensDocument, {})).me?.apiTokens ?? null;
    },

    async revokeApiToken(id) {
      return dataOrThrow(await authorized(RevokeApiTokenDocument, { id })).revokeApiToken;
    },

    async requestEmailVerification() {
      return dataOrThrow(await authorized(RequestEmailVerificationDocument, {})).requestEmailVerification;
    },

    async verifyEmail(token, email) {
      // Signed in, the bearer lets a code default to this user's address.
      return dataOrThrow(await authorized(VerifyEmailDocument, { token, email: email ?? null })).verifyEmail;
    },

    async requestPasswordReset(email) {
      return dataOrThrow(await send(RequestPasswordResetDocument, { email }, null)).requestPasswordReset;
    },

    async resetPassword(token, newPassword, email) {
      const reset = dataOrThrow(await send(ResetPasswordDocument, { token, newPassword, email: email ?? null }, null)).resetPassword;
      // Every session of the user ended, this one's too.
      await forget();
      return reset;
    },

    async requestMagicLink(email) {
      return dataOrThrow(await send(RequestMagicLinkDocument, { email }, null)).requestMagicLink;
    },

    async loginWithMagicLink(token, email) {
      const result = await send(LoginWithMagicLinkDocument, { token, email: email ?? null, delivery: mode === 'cookie' ? 'COOKIE' : 'BODY' }, null);
      return adopt(dataOrThrow(result).loginWithMagicLink);
    },

    async changeEmail(newEmail, currentPassword) {
      return dataOrThrow(await authorized(ChangeEmailDocument, { newEmail, currentPassword })).changeEmail;
    },

    async authProviders() {
      return dataOrThrow(await send(AuthProvidersDocument, {}, null)).authProviders;
    },

    async startOAuthLogin(provider, redirectUri, options = {}) {
      const result = options.link ? await authorized(StartOAuthLoginDocument, { provider, redirectUri, link: true }) : await send(StartOAuthLoginDocument, { provider, redirectUri }, null);
      return dataOrThrow(result).startOAuthLogin;
    },

    async completeOAuthLogin(provider, code, state) {
      const result = await send(CompleteOAuthLoginDocument, { provider, code, state, delivery: mode === 'cookie' ? 'COOKIE' : 'BODY' }, null);
      return adopt(dataOrThrow(result).completeOAuthLogin);
    },

    async linkIdentity(provider, code, state) {
      return dataOrThrow(await authorized(LinkIdentityDocument, { provider, code, state })).linkIdentity;
    },

    async unlinkIdentity(id) {
      return dataOrThrow(await authorized(UnlinkIdentityDocument, { id })).unlinkIdentity;
    },

    async identities() {
      return dataOrThrow(await authorized(MyIdentitiesDocument, {})).me?.identities ?? null;
    },

    request: authorized,

    accessToken: () => accessToken,
  };
}
