import { Field, ObjectType } from 'type-graphql';
import type { DeviceRequestView } from '../../devices/device.service';
import { DateTime } from './scalars';

@ObjectType({ simpleResolvers: true, description: 'A device waiting for approval (RFC 8628): what it asks for, found by the code it shows.' })
export class DeviceRequest {
  @Field(() => String, { description: 'The OAuth client asking (one of OAUTH_DEVICE_CLIENTS).' })
  clientId!: string;

  @Field(() => [String], { description: 'What approving grants: the requested scopes that your role allows.' })
  scopes!: string[];

  @Field(() => DateTime, { description: 'When the code stops working.' })
  expiresAt!: Date;
}

export function toDeviceRequest(view: DeviceRequestView): DeviceRequest {
  const request = new DeviceRequest();
  request.clientId = view.clientId;
  request.scopes = view.scopes;
  request.expiresAt = view.expiresAt;
  return request;
}
