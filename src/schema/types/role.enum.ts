import { registerEnumType } from 'type-graphql';

export enum RoleEnum {
  USER = 'USER',
  ADMIN = 'ADMIN',
}
registerEnumType(RoleEnum, { name: 'Role', description: 'What a user may do; ADMIN manages users.' });

export enum TokenDelivery {
  BODY = 'BODY',
  COOKIE = 'COOKIE',
}
registerEnumType(TokenDelivery, {
  name: 'TokenDelivery',
  description: 'Where the refresh token goes: the JSON body (apps, services) or an HttpOnly cookie (browsers).',
});
