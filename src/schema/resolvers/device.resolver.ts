import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../context';
import { DeviceRequest, toDeviceRequest } from '../types/device-request.type';
import { requireViewer } from '../viewer';

@Resolver()
export class DeviceResolver {
  @Query(() => DeviceRequest, {
    nullable: true,
    description: 'What the device showing this code asks for; null for an unknown, expired or already decided code. Wrong codes are rate-limited per user and per IP.',
  })
  async deviceRequest(@Arg('userCode', () => String) userCode: string, @Ctx() ctx: RequestContext): Promise<DeviceRequest | null> {
    const view = await ctx.services.devices.describe(userCode, requireViewer(ctx), ctx.origin);
    return view ? toDeviceRequest(view) : null;
  }

  @Mutation(() => Boolean, { description: 'Lets the device showing this code sign in as you, with the scopes deviceRequest shows. The device gets a session of its own.' })
  async approveDevice(@Arg('userCode', () => String) userCode: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    return ctx.services.devices.approve(userCode, requireViewer(ctx), ctx.origin);
  }

  @Mutation(() => Boolean, { description: 'Refuses the device showing this code: its next poll gets access_denied.' })
  async denyDevice(@Arg('userCode', () => String) userCode: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    return ctx.services.devices.deny(userCode, requireViewer(ctx), ctx.origin);
  }
}
