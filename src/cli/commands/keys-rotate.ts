import { describeKeys } from '../../keys/key-status';
import type { CliCommand } from '../command';
import { parseDuration, parseFlags } from '../flags';
import { timestamp } from '../format';

// Publishing a key weeks ahead is almost surely a typo in the unit.
const MAX_ACTIVATION_DELAY_MS = 30 * 24 * 60 * 60 * 1000;

export const keysRotateCommand: CliCommand = {
  name: 'keys:rotate',
  usage: 'keys:rotate [--activate-in DURATION]',
  summary: 'publishes a new signing key now, signs with it after DURATION (default 10m); the old key verifies until its tokens expire',
  prepare(argv) {
    const flags = parseFlags(argv, { 'activate-in': { type: 'string' } });
    const raw = flags['activate-in'];
    const delayMs = raw === undefined ? undefined : parseDuration('activate-in', raw, MAX_ACTIVATION_DELAY_MS);

    return async (context) => {
      const { config, clock } = context;
      const repository = (await context.storage()).signingKeys;
      const verifyWindowMs = config.accessTokenTtlMs + config.clockToleranceMs;
      const before = describeKeys(await repository.list(), clock.now(), verifyWindowMs);
      // Loading the set first proves KEYCARD_SECRET opens the stored keys: a key sealed with
      // another secret would stop every server at its next reload.
      const keySet = await context.keySet({ createFirstKey: true });
      const kid = before.length > 0 ? await keySet.rotate(delayMs === undefined ? {} : { activatesAt: clock.now() + delayMs }) : keySet.signingKey().kid;

      const statuses = describeKeys(await repository.list(), clock.now(), verifyWindowMs);
      const index = statuses.findIndex((status) => status.kid === kid);
      const added = statuses[index]!;
      const signs = added.state === 'active' ? 'signs from now' : `signs from ${timestamp(added.activatesAt)}`;
      const previous = statuses.slice(0, index).filter((status) => status.state === 'active' || status.state === 'verifying-only').at(-1);
      const old = previous ? `; ${previous.kid} keeps verifying until ${timestamp(previous.retiresAt)}` : '';
      // The newest rotation wins (src/keys/key-schedule.ts): an earlier rotation still waiting
      // to activate no later than this one never signs.
      const superseded = before
        .filter((status) => status.state === 'pending' && status.activatesAt.getTime() >= added.activatesAt.getTime())
        .map((status) => `; ${status.kid}, still pending, is superseded and will never sign`);
      context.print(`published ${kid} (${added.alg}); it ${signs}${old}${superseded.join('')}`);
    };
  },
};
