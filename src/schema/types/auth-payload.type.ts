import { Field, ObjectType } from 'type-graphql';
import { DateTime } from './scalars';
import { User } from './user.type';

@ObjectType({ simpleResolvers: true })
export class AuthPayload {
  @Field(() => String)
  accessToken!: string;

  @Field(() => String, { description: '"Bearer"' })
  tokenType!: string;

  @Field(() => DateTime)
  accessTokenExpiresAt!: Date;

  @Field(() => String, { nullable: true, description: 'null when delivered as a cookie' })
  refreshToken!: string | null;

  @Field(() => DateTime)
  refreshTokenExpiresAt!: Date;

  @Field(() => String, { nullable: true, description: 'Cookie mode: send it back as the X-CSRF-Token header.' })
  csrfToken!: string | null;

  @Field(() => User, { description: 'The signed-in user: its private fields are readable in this same response.' })
  user!: User;
}
