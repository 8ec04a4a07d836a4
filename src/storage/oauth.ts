import type { AuditEventInput } from '../audit/audit-event';
import type { NewUser, User } from './users';

/** Why a social-login attempt was started: to sign in (or up), or to link to a signed-in account. */
export type OAuthPurpose = 'LOGIN' | 'LINK';

/** A social-login attempt between startOAuthLogin and its completion, as stored. */
export interface OAuthState {
  /** SHA-256 of the state (hex): the state itself is never stored. */
  stateHash: string;
  provider: string;
  redirectUri: string;
  /** The PKCE code verifier, sealed (src/keys/secret-box.ts) with the state hash as associated data. */
  codeVerifierSealed: string;
  /** OIDC: the nonce the ID token must carry; null for GitHub (no ID token). */
  nonce: string | null;
  purpose: OAuthPurpose;
  /** LINK: the account the identity is for; null for LOGIN. */
  userId: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/** A provider's account linked to one of ours. */
export interface Identity {
  id: string;
  userId: string;
  provider: string;
  /** Who the person is at the provider (`sub`, GitHub's numeric id): never the email, which can change hands. */
  subject: string;
  email: string | null;
  emailVerified: boolean;
  createdAt: Date;
}

/** (provider, subject) is already linked to an account (a concurrent completion won). */
export class IdentityTakenError extends Error {
  constructor() {
    super('identity taken');
    this.name = 'IdentityTakenError';
  }
}

export type UnlinkOutcome = { kind: 'UNLINKED'; identity: Identity } | { kind: 'NOT_FOUND' } | { kind: 'LAST_SIGN_IN_METHOD' };

/**
 * Social-login storage. Nothing here changes a session or a user's role, password or disabled
 * state, so the session check's cache stays valid without invalidation: `createUserWithIdentity`
 * makes a user with no session yet, like UserRepository.create.
 */
export interface OAuthRepository {
  /** Stores a new attempt with its audit event. */
  saveState(state: OAuthState, audit: AuditEventInput): Promise<void>;
  /**
   * Marks the attempt used and returns it: one statement, so of two completions with the same
   * state exactly one gets it. Null when unknown, already used or expired at `at`.
   */
  consumeState(stateHash: string, at: Date): Promise<OAuthState | null>;
  /** Deletes attempts that expired before `before` (pruning); returns how many. */
  deleteExpiredStates(before: Date): Promise<number>;
  findIdentity(provider: string, subject: string): Promise<Identity | undefined>;
  findIdentityById(id: string): Promise<Identity | undefined>;
  /** Oldest first. */
  listIdentities(userId: string): Promise<Identity[]>;
  /**
   * A new account and its first identity with the audit event, in one transaction:
   * EmailTakenError or IdentityTakenError, and nothing written, when either exists already.
   */
  createUserWithIdentity(user: NewUser, identity: Identity, audit: AuditEventInput): Promise<{ user: User; identity: Identity }>;
  /** Links an identity to an existing account with its audit event; IdentityTakenError if (provider, subject) is linked already. */
  linkIdentity(identity: Identity, audit: AuditEventInput): Promise<Identity>;
  /**
   * Removes one of the user's identities with its audit event, unless it is the account's last
   * way to sign in (no password and no other identity): the check and the delete are one transaction.
   */
  unlinkIdentity(id: string, userId: string, at: Date, audit: AuditEventInput): Promise<UnlinkOutcome>;
}
