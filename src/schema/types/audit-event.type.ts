import { Field, ID, ObjectType } from 'type-graphql';
import type { AuditEvent as StoredAuditEvent } from '../../storage/audit';
import { DateTime, JsonScalar } from './scalars';

@ObjectType({ simpleResolvers: true, description: 'One authentication event: who did what, to whom, from where.' })
export class AuditEvent {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'SIGNUP, LOGIN_SUCCEEDED, LOGIN_FAILED, SESSION_REVOKED, PASSWORD_CHANGED, USER_DISABLED, ...' })
  type!: string;

  @Field(() => DateTime)
  at!: Date;

  @Field(() => ID, { nullable: true, description: 'The user the event is about.' })
  userId!: string | null;

  @Field(() => ID, { nullable: true, description: 'Who acted: the user themself, an ADMIN, or null for the system.' })
  actorId!: string | null;

  @Field(() => ID, { nullable: true })
  sessionId!: string | null;

  @Field(() => String, { nullable: true })
  ip!: string | null;

  @Field(() => String, { nullable: true })
  userAgent!: string | null;

  @Field(() => JsonScalar, { nullable: true })
  detail!: Record<string, unknown> | null;
}

/** Names each public field: a new column stays private until someone maps it here. */
export function toAuditEvent(row: StoredAuditEvent): AuditEvent {
  const event = new AuditEvent();
  event.id = row.id;
  event.type = row.type;
  event.at = row.at;
  event.userId = row.userId;
  event.actorId = row.actorId;
  event.sessionId = row.sessionId;
  event.ip = row.ip;
  event.userAgent = row.userAgent;
  event.detail = row.detail;
  return event;
}
