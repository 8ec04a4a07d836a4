import crypto from 'node:crypto';
import { AuditEventType, type RequestOrigin } from '../audit/audit-event';
import type { Clock } from '../clock';
import { errors, ErrorCode, KeycardError } from '../errors';
import { parseScopeList, scopesForRole, type Scope } from '../permissions/scopes';
import type { IssuedTokens, SessionService, Viewer } from '../sessions/session.service';
import type { DeviceAuthorization, DeviceAuthorizationRepository } from '../storage/device-authorizations';
import type { UserRepository } from '../storage/users';
import { formatUserCode, hashDeviceCode, hashUserCode, looksLikeDeviceCode, mintDeviceCode, mintUserCode, normalizeUserCode } from '../tokens/device-code';

/** RFC 8628 §3.2: how long the codes live, and how often the device may poll. */
export const DEVICE_CODE_TTL_SECONDS = 600;
export const DEVICE_POLL_INTERVAL_SECONDS = 5;
/** RFC 8628 §3.5: each slow_down makes the device add 5 seconds to its interval; the server keeps the same count. */
export const SLOW_DOWN_SECONDS = 5;
/** RFC 8628 §3.4's grant type. */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';
const USER_CODE_ATTEMPTS = 5;

/** The errors of RFC 6749 §5.2 and RFC 8628 §3.5 this flow answers with. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'unsupported_grant_type'
  | 'authorization_pending'
  | 'slow_down'
  | 'access_denied'
  | 'expired_token';

export type OAuthOutcome<T> = { ok: true; value: T } | { ok: false; error: OAuthErrorCode; description: string };

const fail = (error: OAuthErrorCode, description: string): { ok: false; error: OAuthErrorCode; description: string } => ({ ok: false, error, description });

export interface DeviceAuthorizationResponse {
  deviceCode: string;
  /** As shown to people: ABCD-EFGH. */
  userCode: string;
  verificationUri: string;
  verificationUriComplete: string;
  expiresIn: number;
  interval: number;
}

/** What `deviceRequest` shows the person about to decide. */
export interface DeviceRequestView {
  clientId: string;
  /** What approving grants: the requested scopes that the viewer's role allows. */
  scopes: string[];
  expiresAt: Date;
}

export interface DeviceTokens {
  tokens: IssuedTokens;
  scopes: readonly string[];
}

export interface DeviceServiceOptions {
  repository: DeviceAuthorizationRepository;
  users: Pick<UserRepository, 'findById'>;
  sessions: SessionService;
  clock: Clock;
  userCodeKey: crypto.KeyObject;
  /** OAUTH_DEVICE_CLIENTS. */
  clients: readonly string[];
  /** APP_URL: the device page is APP_URL/device. */
  appUrl: string;
}

/** The scopes a request grants a user of `role`: what it asked for (all, when it asked for none) within what the role allows. */
function grantable(requested: readonly string[] | null, role: Viewer['role']): Scope[] {
  const allowed = scopesForRole(role);
  return requested === null ? [...allowed] : allowed.filter((scope) => requested.includes(scope));
}

/**
 * The device authorization grant (RFC 8628): a device asks, a signed-in person approves or
 * denies by its user code, the device polls until then and gets a session of its own, limited
 * to the approved scopes. Every step is audited.
 */
export function createDeviceService(options: DeviceServiceOptions) {
  const { repository, clock, clients } = options;
  const clientSet = new Set(clients);

  /** A pending, unexpired request by the code a person typed; undefined for anything else, so none can be told apart. */
  async function pendingByUserCode(input: string): Promise<DeviceAuthorization | undefined> {
    const code = normalizeUserCode(input);
    if (code === null) return undefined;
    const found = await repository.findByUserCodeHash(hashUserCode(options.userCodeKey, code));
    if (!found || found.status !== 'pending' || found.expiresAt.getTime() <= clock.now()) return undefined;
    return found;
  }

  const requestNotFound = () => errors.notFound('Device request');

  return {
    isClient(clientId: string): boolean {
      return clientSet.has(clientId);
    },

    /** RFC 8628 §3.1-3.2: a new request for an allowed client. */
    async authorize(clientId: string, scope: string | null, origin: RequestOrigin): Promise<OAuthOutcome<DeviceAuthorizationResponse>> {
      if (!clientSet.has(clientId)) return fail('invalid_client', 'Unknown client.');
      let scopes: string[] | null = null;
      if (scope !== null && scope.trim() !== '') {
        scopes = parseScopeList(scope);
        if (scopes === null) return fail('invalid_scope', 'A requested scope is not one this server knows.');
      }
      const now = clock.now();
      const deviceCode = mintDeviceCode();
      for (let attempt = 0; attempt < USER_CODE_ATTEMPTS; attempt++) {
        const userCode = mintUserCode();
        const id = crypto.randomUUID();
        const created = await repository.create(
          {
            id,
            deviceCodeHash: hashDeviceCode(deviceCode),
            userCodeHash: hashUserCode(options.userCodeKey, userCode),
            clientId,
            scopes,
            createdAt: new Date(now),
            expiresAt: new Date(now + DEVICE_CODE_TTL_SECONDS * 1000),
            intervalSeconds: DEVICE_POLL_INTERVAL_SECONDS,
          },
          { type: AuditEventType.DEVICE_AUTHORIZATION_STARTED, ...origin, detail: { deviceAuthorizationId: id, clientId, scopes } },
        );
        if (!created) continue; // a user code still in the table (or expired, not yet pruned): draw another
        const verificationUri = `${options.appUrl}/device`;
        const shown = formatUserCode(userCode);
        return {
          ok: true,
          value: {
            deviceCode,
            userCode: shown,
            verificationUri,
            verificationUriComplete: `${verificationUri}?user_code=${encodeURIComponent(shown)}`,
            expiresIn: DEVICE_CODE_TTL_SECONDS,
            interval: DEVICE_POLL_INTERVAL_SECONDS,
          },
        };
      }
      throw new Error('could not draw a free user code');
    },

    /** What a pending request asks for; null for an unknown, expired or decided code. */
    /** `_origin` is for the rate limit in front of it (src/abuse/limited-services.ts). */
    async describe(userCode: string, viewer: Viewer, _origin: RequestOrigin): Promise<DeviceRequestView | null> {
      const found = await pendingByUserCode(userCode);
      if (!found) return null;
      return { clientId: found.clientId, scopes: grantable(found.scopes, viewer.role), expiresAt: found.expiresAt };
    },

    /** Approves for the viewer: the device will get the requested scopes within the viewer's role. */
    async approve(userCode: string, viewer: Viewer, origin: RequestOrigin): Promise<boolean> {
      const found = await pendingByUserCode(userCode);
      if (!found) throw requestNotFound();
      const granted = grantable(found.scopes, viewer.role);
      if (granted.length === 0) throw errors.forbidden('INSUFFICIENT_SCOPE', 'Your role allows none of the scopes this device asks for.');
      const at = new Date(clock.now());
      const decided = await repository.decide(found.id, { approved: true, userId: viewer.userId, grantedScopes: granted }, at, {
        type: AuditEventType.DEVICE_APPROVED,
        userId: viewer.userId,
        actorId: viewer.userId,
        sessionId: viewer.sessionId,
        ...origin,
        detail: { deviceAuthorizationId: found.id, clientId: found.clientId, scopes: granted },
      });
      if (!decided) throw requestNotFound();
      return true;
    },

    async deny(userCode: string, viewer: Viewer, origin: RequestOrigin): Promise<boolean> {
      const found = await pendingByUserCode(userCode);
      if (!found) throw requestNotFound();
      const decided = await repository.decide(found.id, { approved: false, userId: viewer.userId }, new Date(clock.now()), {
        type: AuditEventType.DEVICE_DENIED,
        userId: viewer.userId,
        actorId: viewer.userId,
        sessionId: viewer.sessionId,
        ...origin,
        detail: { deviceAuthorizationId: found.id, clientId: found.clientId },
      });
      if (!decided) throw requestNotFound();
      return true;
    },

    /**
     * RFC 8628 §3.4-3.5: one poll of the device. The approved request is consumed by one
     * conditional update, so of two polls racing, one gets tokens and the other invalid_grant.
     */
    async exchange(deviceCode: string, clientId: string, origin: RequestOrigin): Promise<OAuthOutcome<DeviceTokens>> {
      if (!clientSet.has(clientId)) return fail('invalid_client', 'Unknown client.');
      if (!looksLikeDeviceCode(deviceCode)) return fail('invalid_grant', 'Unknown device code.');
      const found = await repository.findByDeviceCodeHash(hashDeviceCode(deviceCode));
      // Another client's code gets the same answer as an unknown one (RFC 6749 §5.2, invalid_grant).
      if (!found || found.clientId !== clientId) return fail('invalid_grant', 'Unknown device code.');
      if (found.status === 'consumed') return fail('invalid_grant', 'This device code has been used.');
      const now = clock.now();
      if (now >= found.expiresAt.getTime()) return fail('expired_token', 'The device code has expired: start again.');
      const poll = await repository.recordPoll(found.id, new Date(now), SLOW_DOWN_SECONDS);
      if (!poll) return fail('invalid_grant', 'Unknown device code.');
      if (poll.tooSoon) return fail('slow_down', `Poll at most every ${poll.authorization.intervalSeconds} seconds.`);
      const current = poll.authorization;
      if (current.status === 'pending') return fail('authorization_pending', 'Not approved yet.');
      if (current.status === 'denied') return fail('access_denied', 'The request was denied.');
      if (current.status !== 'approved' || current.userId === null || current.grantedScopes === null) return fail('invalid_grant', 'This device code has been used.');

      const user = await options.users.findById(current.userId);
      if (!user || user.disabledAt !== null) return fail('access_denied', 'The approving account cannot sign in.');
      const sessionId = crypto.randomUUID();
      if (!(await repository.consume(current.id, sessionId, new Date(now)))) return fail('invalid_grant', 'This device code has been used.');
      // The role may have changed since the approval: the session gets no more than the role allows now.
      const scopes = grantable(current.grantedScopes, user.role);
      const tokens = await options.sessions.startForDevice(user, { sessionId, clientId, scopes, authorizationId: current.id }, origin);
      return { ok: true, value: { tokens, scopes } };
    },

    /**
     * RFC 6749 §6 for device sessions: the refresh token is bound to the client that started the
     * session, so only that client may use it here; rotation and reuse detection are the
     * session service's, as for any session. Other sessions refresh with the `refresh` mutation.
     */
    async refresh(refreshToken: string, clientId: string, origin: RequestOrigin): Promise<OAuthOutcome<DeviceTokens>> {
      if (!clientSet.has(clientId)) return fail('invalid_client', 'Unknown client.');
      const state = await options.sessions.sessionOfRefreshToken(refreshToken);
      if (!state || state.session.clientId !== clientId) return fail('invalid_grant', 'The refresh token is not valid.');
      try {
        const refreshed = await options.sessions.refresh(refreshToken, origin, { required: false, header: undefined });
        return { ok: true, value: { tokens: refreshed, scopes: refreshed.session.scopes ?? [...scopesForRole(refreshed.user.role)] } };
      } catch (error) {
        if (error instanceof KeycardError && error.code === ErrorCode.INVALID_REFRESH_TOKEN) return fail('invalid_grant', 'The refresh token is not valid.');
        throw error;
      }
    },
  };
}

export type DeviceService = ReturnType<typeof createDeviceService>;
