import { Field, ID, ObjectType } from 'type-graphql';
import type { Session as StoredSession } from '../../storage/sessions';
import { DateTime } from './scalars';

@ObjectType({ simpleResolvers: true, description: 'One login on one device: a refresh-token family.' })
export class Session {
  @Field(() => ID)
  id!: string;

  @Field(() => DateTime)
  createdAt!: Date;

  @Field(() => DateTime)
  lastUsedAt!: Date;

  @Field(() => DateTime, { description: 'When it ends if not refreshed.' })
  expiresAt!: Date;

  @Field(() => String, { nullable: true })
  userAgent!: string | null;

  @Field(() => String, { nullable: true })
  ip!: string | null;

  @Field(() => String, { nullable: true, description: 'The OAuth client (OAUTH_DEVICE_CLIENTS) a device signed in with; null for a login.' })
  clientId!: string | null;

  @Field(() => [String], { nullable: true, description: "The scopes its tokens carry: a device's approved scopes; null for everything the user's role allows." })
  scopes!: string[] | null;

  @Field(() => Boolean, { description: 'The session of the token making this request.' })
  current!: boolean;
}

export function toSession(row: StoredSession, currentSessionId: string | null): Session {
  const session = new Session();
  session.id = row.id;
  session.createdAt = row.createdAt;
  session.lastUsedAt = row.lastUsedAt;
  session.expiresAt = row.expiresAt;
  session.userAgent = row.userAgent;
  session.ip = row.ip;
  session.clientId = row.clientId;
  session.scopes = row.scopes;
  session.current = row.id === currentSessionId;
  return session;
}
