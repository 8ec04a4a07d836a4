import { Field, Int, ObjectType } from 'type-graphql';
import { User } from './user.type';

@ObjectType({ simpleResolvers: true })
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType({ simpleResolvers: true })
export class UserEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => User)
  node!: User;
}

@ObjectType({ simpleResolvers: true, description: 'Relay-style connection, oldest account first.' })
export class UserConnection {
  @Field(() => [UserEdge])
  edges!: UserEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  // A resolver of its own (not simple): the count is a promise, which graphql-jit awaits only
  // from a resolver; a field without one is read inline (src/http/compiled-queries.ts).
  @Field(() => Int, { simple: false })
  totalCount!: number | Promise<number>;
}
