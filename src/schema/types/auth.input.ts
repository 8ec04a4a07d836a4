import { Field, InputType } from 'type-graphql';
import { TokenDelivery } from './role.enum';

@InputType()
export class SignupInput {
  @Field(() => String)
  email!: string;

  @Field(() => String)
  password!: string;

  @Field(() => String, { nullable: true })
  displayName?: string | null;

  @Field(() => TokenDelivery, { nullable: true, defaultValue: TokenDelivery.BODY })
  delivery?: TokenDelivery | null;
}

@InputType()
export class LoginInput {
  @Field(() => String)
  email!: string;

  @Field(() => String)
  password!: string;

  @Field(() => TokenDelivery, { nullable: true, defaultValue: TokenDelivery.BODY })
  delivery?: TokenDelivery | null;
}
