import type { AuditEventInput } from '../audit/audit-event';

export type DeviceAuthorizationStatus = 'pending' | 'approved' | 'denied' | 'consumed';

/** One device authorization request (RFC 8628 §3.1); its codes only as hashes. */
export interface DeviceAuthorization {
  id: string;
  deviceCodeHash: string;
  userCodeHash: string;
  clientId: string;
  /** As requested; null: the client asked for no scope (then the approver's role decides). */
  scopes: string[] | null;
  status: DeviceAuthorizationStatus;
  /** Who approved or denied it. */
  userId: string | null;
  /** What the approval granted: the request within the approver's role. */
  grantedScopes: string[] | null;
  createdAt: Date;
  expiresAt: Date;
  /** The polling interval the device must keep, in seconds. */
  intervalSeconds: number;
  lastPolledAt: Date | null;
  decidedAt: Date | null;
  /** The session its tokens started, once consumed. */
  sessionId: string | null;
}

export type NewDeviceAuthorization = Pick<
  DeviceAuthorization,
  'id' | 'deviceCodeHash' | 'userCodeHash' | 'clientId' | 'scopes' | 'createdAt' | 'expiresAt' | 'intervalSeconds'
>;

export type Decision = { approved: true; userId: string; grantedScopes: string[] } | { approved: false; userId: string };

/** The answer to one poll: the request as it stands after the poll was recorded, and whether it came too soon. */
export interface PollResult {
  authorization: DeviceAuthorization;
  /** Polled sooner than the interval asked: the interval has grown by `slowDownSeconds` (RFC 8628 §3.5). */
  tooSoon: boolean;
}

export interface DeviceAuthorizationRepository {
  /** False when a code hash is already taken (a user-code collision): the caller mints another. */
  create(authorization: NewDeviceAuthorization, audit: AuditEventInput): Promise<boolean>;
  findByUserCodeHash(userCodeHash: string): Promise<DeviceAuthorization | undefined>;
  findByDeviceCodeHash(deviceCodeHash: string): Promise<DeviceAuthorization | undefined>;
  /**
   * Records a poll at `at` in one conditional step: when the last poll was less than the current
   * interval ago, the interval grows by `slowDownSeconds` and `tooSoon` is true. Undefined for an
   * unknown id.
   */
  recordPoll(id: string, at: Date, slowDownSeconds: number): Promise<PollResult | undefined>;
  /** pending and unexpired -> approved or denied, with its audit event; false if it was no longer pending or had expired. */
  decide(id: string, decision: Decision, at: Date, audit: AuditEventInput): Promise<boolean>;
  /** approved and unexpired -> consumed, recording the session it started: true once, for one caller only (single use). */
  consume(id: string, sessionId: string, at: Date): Promise<boolean>;
  /** Deletes requests that expired before `cutoff`; returns how many. */
  pruneExpired(cutoff: Date): Promise<number>;
}
