import { Field, ID, ObjectType } from 'type-graphql';
import type { ApiToken as StoredApiToken } from '../../storage/api-tokens';
import { DateTime } from './scalars';

@ObjectType({ simpleResolvers: true, description: 'A personal access token, for scripts and services. The token itself is shown once, at creation.' })
export class ApiToken {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => [String], { description: 'What it may do (within what its owner\'s current role allows).' })
  scopes!: string[];

  @Field(() => String, { description: 'The first characters of the token, to recognise it in a list.' })
  prefix!: string;

  @Field(() => DateTime)
  createdAt!: Date;

  @Field(() => DateTime, { nullable: true, description: 'Updated at most about once a minute.' })
  lastUsedAt!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'null: it does not expire.' })
  expiresAt!: Date | null;
}

@ObjectType({ simpleResolvers: true, description: 'A token just created: `token` is shown this once and never again.' })
export class NewApiToken {
  @Field(() => String)
  token!: string;

  @Field(() => ApiToken)
  apiToken!: ApiToken;
}

export function toApiToken(row: StoredApiToken): ApiToken {
  const token = new ApiToken();
  token.id = row.id;
  token.name = row.name;
  token.scopes = [...row.scopes];
  token.prefix = row.prefix;
  token.createdAt = row.createdAt;
  token.lastUsedAt = row.lastUsedAt;
  token.expiresAt = row.expiresAt;
  return token;
}
