import { Field, ID, ObjectType } from 'type-graphql';
import type { Identity as StoredIdentity } from '../../storage/oauth';
import { DateTime } from './scalars';

@ObjectType({ simpleResolvers: true, description: 'A sign-in provider configured on this server (OAUTH_PROVIDERS).' })
export class AuthProvider {
  @Field(() => String, { description: 'The id to pass as `provider`.' })
  id!: string;

  @Field(() => String, { description: 'What a "Sign in with ..." button says.' })
  name!: string;
}

@ObjectType({ simpleResolvers: true, description: 'Where to send the person to sign in at the provider.' })
export class OAuthAuthorization {
  @Field(() => String, { description: "The provider's authorization URL, with state, PKCE challenge and (OpenID Connect) nonce." })
  authorizationUrl!: string;

  @Field(() => String, { description: 'The state in the URL: single use, 10 minutes, bound to provider, redirect URI and purpose.' })
  state!: string;
}

@ObjectType({ simpleResolvers: true, description: "A provider's account linked to this account." })
export class Identity {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  provider!: string;

  @Field(() => String, { nullable: true, description: 'The email the provider gave when the identity was linked.' })
  email!: string | null;

  @Field(() => DateTime)
  createdAt!: Date;
}

/** Names each public field: the subject and the provider's verification flag stay inside. */
export function toIdentity(row: StoredIdentity): Identity {
  const identity = new Identity();
  identity.id = row.id;
  identity.provider = row.provider;
  identity.email = row.email;
  identity.createdAt = row.createdAt;
  return identity;
}
