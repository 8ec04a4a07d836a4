import { describeKeys } from '../../keys/key-status';
import type { CliCommand } from '../command';
import { parseFlags } from '../flags';
import { table, timestamp } from '../format';

export const keysListCommand: CliCommand = {
  name: 'keys:list',
  usage: 'keys:list',
  summary: 'shows every signing key: kid, algorithm, state (pending, active, verifying-only, retired) and its times',
  prepare(argv) {
    parseFlags(argv, {});
    // Read-only: states are computed from the stored times, no key is decrypted or changed.
    return async (context) => {
      const { config, clock } = context;
      const stored = await (await context.storage()).signingKeys.list();
      if (stored.length === 0) {
        context.print('no signing keys yet: run keys:rotate (outside production the server also creates one at its first start)');
        return;
      }
      const rows = describeKeys(stored, clock.now(), config.accessTokenTtlMs + config.clockToleranceMs).map((key) => [
        key.kid,
        key.alg,
        key.state,
        timestamp(key.createdAt),
        timestamp(key.activatesAt),
        timestamp(key.retiresAt),
      ]);
      for (const line of table([['KID', 'ALG', 'STATE', 'CREATED', 'ACTIVATES', 'RETIRES'], ...rows])) context.print(line);
    };
  },
};
