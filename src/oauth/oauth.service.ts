import crypto from 'node:crypto';
import { parseEmail } from '../accounts/account.input';
import { AuditEventType, type RequestOrigin } from '../audit/audit-event';
import type { Clock } from '../clock';
import { errors, KeycardError, OAuthErrorReason } from '../errors';
import { open, seal } from '../keys/secret-box';
import type { SessionService, Viewer } from '../sessions/session.service';
import type { AuditRepository } from '../storage/audit';
import { IdentityTakenError, type Identity, type OAuthPurpose, type OAuthRepository, type OAuthState } from '../storage/oauth';
import { EmailTakenError, type User, type UserRepository } from '../storage/users';
import type { SignedIn } from '../accounts/account.service';
import { ProviderFailure, type OAuthProvider, type ProviderProfile } from './provider';

/** How long a started sign-in may take at the provider (contract.md: 10 minutes). */
export const OAUTH_STATE_TTL_MS = 10 * 60_000;

type Actor = Pick<Viewer, 'userId' | 'sessionId'>;

export interface OAuthServiceOptions {
  providers: ReadonlyMap<string, OAuthProvider>;
  /** OAUTH_REDIRECT_URIS: compared byte for byte, no prefix or pattern. */
  redirectUris: readonly string[];
  repository: OAuthRepository;
  users: UserRepository;
  sessions: SessionService;
  audit: AuditRepository;
  clock: Clock;
  /** Seals the PKCE verifier at rest (src/keys/secret-keys.ts). */
  verifierKey: Buffer;
}

const random = () => crypto.randomBytes(32).toString('base64url');
const sha256 = (value: string) => crypto.createHash('sha256').update(value).digest('hex');

/** What the provider and its flow failed with, as the client sees it; the detail goes to the audit log only. */
class OAuthFailure extends Error {
  constructor(
    readonly reason: OAuthErrorReason,
    readonly detail: string | null = null,
  ) {
    super(reason);
  }
}

/**
 * Social login (contract.md, "Social login"): the authorization code flow with PKCE S256 for
 * every provider, a single-use state bound to provider, redirect URI and purpose, and a nonce
 * for OpenID Connect. An identity is (provider, subject). An email match links automatically
 * only when both the provider and the account have verified the address: otherwise someone who
 * registers the victim's address, unverified, at a provider would take the account over.
 */
export function createOAuthService(options: OAuthServiceOptions) {
  const { providers, redirectUris, repository, users, sessions, audit, clock, verifierKey } = options;
  const now = () => new Date(clock.now());

  function providerOf(id: string): OAuthProvider {
    const provider = providers.get(id);
    if (!provider) throw new OAuthFailure(OAuthErrorReason.UNKNOWN_PROVIDER);
    return provider;
  }

  /** Audits the failure and turns it into the client's error. */
  async function failed(error: unknown, provider: string, step: string, origin: RequestOrigin, userId: string | null): Promise<never> {
    const reason = error instanceof OAuthFailure ? error.reason : error instanceof ProviderFailure ? error.reason : null;
    const detail = error instanceof OAuthFailure ? error.detail : error instanceof ProviderFailure ? error.detail : error instanceof KeycardError ? error.code : null;
    if (reason !== null || error instanceof KeycardError) {
      // The provider id is the client's input: kept short in the log.
      await audit.record(now(), { type: AuditEventType.OAUTH_FAILED, userId, ...origin, detail: { provider: provider.slice(0, 40), step, reason: reason ?? detail, ...(reason && detail ? { detail } : {}) } });
    }
    if (reason !== null) throw errors.oauthFailed(reason);
    throw error;
  }

  /** Takes the state (single use, even when what follows fails) and checks what it is bound to. */
  async function consume(provider: OAuthProvider, state: string, purpose: OAuthPurpose, userId: string | null): Promise<{ stored: OAuthState; codeVerifier: string }> {
    const stored = typeof state === 'string' && state.length > 0 && state.length <= 200 ? await repository.consumeState(sha256(state), now()) : null;
    if (!stored) throw new OAuthFailure(OAuthErrorReason.STATE_INVALID, 'unknown, used or expired');
    // A state started for another provider, or for the other purpose, or by another user, is spent and refused.
    if (stored.provider !== provider.id) throw new OAuthFailure(OAuthErrorReason.STATE_INVALID, 'other provider');
    if (stored.purpose !== purpose || stored.userId !== userId) throw new OAuthFailure(OAuthErrorReason.STATE_INVALID, 'other purpose or user');
    const verifier = open(verifierKey, stored.codeVerifierSealed, stored.stateHash);
    if (!verifier) throw new OAuthFailure(OAuthErrorReason.STATE_INVALID, 'verifier does not open');
    return { stored, codeVerifier: verifier.toString('utf8') };
  }

  async function exchange(provider: OAuthProvider, code: string, state: string, taken: { stored: OAuthState; codeVerifier: string }): Promise<ProviderProfile> {
    if (typeof code !== 'string' || code.length === 0 || code.length > 2048) throw new OAuthFailure(OAuthErrorReason.PROVIDER_ERROR, 'bad code');
    return provider.exchange({ redirectUri: taken.stored.redirectUri, code, state, codeVerifier: taken.codeVerifier, nonce: taken.stored.nonce });
  }

  function newIdentity(userId: string, provider: OAuthProvider, profile: ProviderProfile, email: string | null): Identity {
    return { id: crypto.randomUUID(), userId, provider: provider.id, subject: profile.subject, email, emailVerified: profile.emailVerified, createdAt: now() };
  }

  function normalizedEmail(profile: ProviderProfile): string | null {
    if (profile.email === null) return null;
    try {
      return parseEmail(profile.email);
    } catch {
      return null;
    }
  }

  /** The account the profile signs in to, created or linked as the rules say. */
  async function accountFor(provider: OAuthProvider, profile: ProviderProfile, origin: RequestOrigin): Promise<{ user: User; created: boolean }> {
    const known = await repository.findIdentity(provider.id, profile.subject);
    if (known) {
      const user = await users.findById(known.userId);
      if (!user) throw new OAuthFailure(OAuthErrorReason.STATE_INVALID, 'identity without account');
      return { user, created: false };
    }
    const email = normalizedEmail(profile);
    // Every account has an email (sign-in by password reset, notices): a provider that gives none cannot make one.
    if (email === null) throw new OAuthFailure(OAuthErrorReason.PROVIDER_ERROR, 'no usable email');
    const existing = await users.findByEmail(email);
    if (existing) {
      if (!(profile.emailVerified && existing.emailVerifiedAt !== null)) {
        throw new OAuthFailure(OAuthErrorReason.ACCOUNT_EXISTS, profile.emailVerified ? 'account email not verified' : 'provider email not verified');
      }
      if (existing.disabledAt !== null) throw errors.accountDisabled();
      await link(existing.id, provider, profile, email, origin, true);
      return { user: existing, created: false };
    }
    const id = crypto.randomUUID();
    try {
      const { user } = await repository.createUserWithIdentity(
        {
          id,
          email,
          passwordHash: null,
          // As with signup, the public display name does not derive from the email or the provider's profile.
          displayName: `user-${id.slice(0, 8)}`,
          role: 'USER',
          createdAt: now(),
          emailVerifiedAt: profile.emailVerified ? now() : null,
        },
        newIdentity(id, provider, profile, email),
        { type: AuditEventType.SIGNUP, userId: id, actorId: id, ...origin, detail: { role: 'USER', provider: provider.id, emailVerified: profile.emailVerified } },
      );
      return { user, created: true };
    } catch (error) {
      // Another completion made the same account or identity a moment ago: the rules run again on what it wrote.
      if (error instanceof IdentityTakenError || error instanceof EmailTakenError) return accountFor(provider, profile, origin);
      throw error;
    }
  }

  async function link(userId: string, provider: OAuthProvider, profile: ProviderProfile, email: string | null, origin: RequestOrigin, automatic: boolean): Promise<Identity> {
    try {
      return await repository.linkIdentity(newIdentity(userId, provider, profile, email), {
        type: AuditEventType.IDENTITY_LINKED,
        userId,
        actorId: userId,
        ...origin,
        detail: { provider: provider.id, automatic },
      });
    } catch (error) {
      if (error instanceof IdentityTakenError) throw new OAuthFailure(OAuthErrorReason.ACCOUNT_EXISTS, 'identity linked to another account');
      throw error;
    }
  }

  return {
    /** The configured providers, for sign-in buttons. */
    providers(): Array<{ id: string; name: string }> {
      return [...providers.values()].map(({ id, name }) => ({ id, name }));
    },

    /**
     * Starts a sign-in (or, with `linkFor`, a link to that signed-in account): stores the
     * hashed state, the sealed PKCE verifier and the nonce, and returns where to send the person.
     */
    async start(providerId: string, redirectUri: string, linkFor: Actor | null, origin: RequestOrigin): Promise<{ authorizationUrl: string; state: string }> {
      try {
        const provider = providerOf(providerId);
        // Exact match (RFC 9700 §4.1.3): no prefix, no pattern, so no open redirect through a path or a query.
        if (!redirectUris.includes(redirectUri)) throw new OAuthFailure(OAuthErrorReason.REDIRECT_URI_NOT_ALLOWED);
        const state = random();
        const stateHash = sha256(state);
        const codeVerifier = random(); // 43 characters of [A-Za-z0-9_-]: RFC 7636 §4.1
        const codeChallenge = crypto.createHash('sha256').update(codeVerifier).digest('base64url');
        const nonce = provider.kind === 'oidc' ? random() : null;
        const authorizationUrl = await provider.authorizationUrl({ redirectUri, state, codeChallenge, nonce });
        const createdAt = now();
        const purpose: OAuthPurpose = linkFor ? 'LINK' : 'LOGIN';
        await repository.saveState(
          {
            stateHash,
            provider: provider.id,
            redirectUri,
            codeVerifierSealed: seal(verifierKey, Buffer.from(codeVerifier, 'utf8'), stateHash),
            nonce,
            purpose,
            userId: linkFor?.userId ?? null,
            createdAt,
            expiresAt: new Date(createdAt.getTime() + OAUTH_STATE_TTL_MS),
          },
          { type: AuditEventType.OAUTH_STARTED, userId: linkFor?.userId ?? null, sessionId: linkFor?.sessionId ?? null, ...origin, detail: { provider: provider.id, purpose } },
        );
        return { authorizationUrl, state };
      } catch (error) {
        return failed(error, providerId, 'start', origin, linkFor?.userId ?? null);
      }
    },

    /** Completes a sign-in: a session for the identity's account, a new account, or ACCOUNT_EXISTS. */
    async complete(providerId: string, code: string, state: string, origin: RequestOrigin, mode: { cookie: boolean }): Promise<SignedIn> {
      let userId: string | null = null;
      try {
        const provider = providerOf(providerId);
        const taken = await consume(provider, state, 'LOGIN', null);
        const profile = await exchange(provider, code, state, taken);
        const { user, created } = await accountFor(provider, profile, origin);
        userId = user.id;
        if (user.disabledAt !== null) throw errors.accountDisabled();
        return { user, tokens: await sessions.start(user, origin, mode, created ? 'SIGNUP' : 'OAUTH') };
      } catch (error) {
        return failed(error, providerId, 'complete', origin, userId);
      }
    },

    /** Links the provider's identity to the signed-in account that started the attempt with `link: true`. */
    async link(viewer: Actor, providerId: string, code: string, state: string, origin: RequestOrigin): Promise<Identity> {
      try {
        const provider = providerOf(providerId);
        const taken = await consume(provider, state, 'LINK', viewer.userId);
        const profile = await exchange(provider, code, state, taken);
        const known = await repository.findIdentity(provider.id, profile.subject);
        if (known) {
          if (known.userId === viewer.userId) return known;
          throw new OAuthFailure(OAuthErrorReason.ACCOUNT_EXISTS, 'identity linked to another account');
        }
        return await link(viewer.userId, provider, profile, normalizedEmail(profile), origin, false);
      } catch (error) {
        return failed(error, providerId, 'link', origin, viewer.userId);
      }
    },

    /** Removes one of the viewer's identities; never the last way to sign in. */
    async unlink(viewer: Actor, identityId: string, origin: RequestOrigin): Promise<boolean> {
      const outcome = await repository.unlinkIdentity(identityId, viewer.userId, now(), {
        type: AuditEventType.IDENTITY_UNLINKED,
        userId: viewer.userId,
        actorId: viewer.userId,
        sessionId: viewer.sessionId,
        ...origin,
        detail: { identityId },
      });
      if (outcome.kind === 'NOT_FOUND') throw errors.notFound('Identity');
      if (outcome.kind === 'LAST_SIGN_IN_METHOD') return failed(new OAuthFailure(OAuthErrorReason.LAST_SIGN_IN_METHOD), 'unlink', 'unlink', origin, viewer.userId);
      return true;
    },

    listIdentities(userId: string): Promise<Identity[]> {
      return repository.listIdentities(userId);
    },

    /** Deletes attempts that expired (pruning). */
    pruneStates(before: Date): Promise<number> {
      return repository.deleteExpiredStates(before);
    },
  };
}

export type OAuthService = ReturnType<typeof createOAuthService>;
