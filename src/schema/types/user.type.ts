import { Field, ID, ObjectType } from 'type-graphql';
import type { UserListItem } from '../../storage/users';
import { RoleEnum } from './role.enum';
import { DateTime } from './scalars';

@ObjectType({ simpleResolvers: true, description: 'A person with an account. email, emailVerified, role, disabled, sessions and auditEvents are visible to the user themself and to ADMINs.' })
export class User {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  displayName!: string;

  @Field(() => DateTime)
  createdAt!: Date;

  @Field(() => String, { nullable: true })
  email!: string;

  @Field(() => RoleEnum, { nullable: true })
  role!: RoleEnum;

  @Field(() => Boolean, { nullable: true, description: 'Whether the account is disabled (self or ADMIN).' })
  disabled!: boolean;

  @Field(() => Boolean, { nullable: true, description: 'Whether the owner has proved the email address is theirs (self or ADMIN).' })
  emailVerified!: boolean;
}

/** Names each public field: a new column stays private until someone maps it here. */
export function toUser(row: UserListItem): User {
  const user = new User();
  user.id = row.id;
  user.displayName = row.displayName;
  user.createdAt = row.createdAt;
  user.email = row.email;
  user.role = row.role as RoleEnum;
  user.disabled = row.disabledAt !== null;
  user.emailVerified = row.emailVerifiedAt !== null;
  return user;
}
