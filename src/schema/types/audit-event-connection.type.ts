import { Field, Int, ObjectType } from 'type-graphql';
import { AuditEvent } from './audit-event.type';
import { PageInfo } from './user-connection.type';

@ObjectType({ simpleResolvers: true })
export class AuditEventEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => AuditEvent)
  node!: AuditEvent;
}

@ObjectType({ simpleResolvers: true, description: 'Relay-style connection, newest event first.' })
export class AuditEventConnection {
  @Field(() => [AuditEventEdge])
  edges!: AuditEventEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  // A resolver of its own (not simple): the count is a promise, which graphql-jit awaits only
  // from a resolver; a field without one is read inline (src/http/compiled-queries.ts).
  @Field(() => Int, { simple: false, description: 'Events matching the filters, on every page.' })
  totalCount!: number | Promise<number>;
}
