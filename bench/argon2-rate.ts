import { Algorithm, hash, verify } from '@node-rs/argon2';
import { OWASP_ARGON2ID } from '../src/accounts/password';

/**
 * The raw argon2id verify rate of the libuv thread pool with IN_FLIGHT verifications at once
 * (default: as many as it has threads, the ceiling a login storm can reach). Run as its own process.
 */
async function main() {
  const seconds = Number(process.env.SECONDS ?? 5);
  const inFlight = Number(process.env.IN_FLIGHT ?? process.env.UV_THREADPOOL_SIZE ?? 4);
  const stored = await hash('bench password', { algorithm: Algorithm.Argon2id, ...OWASP_ARGON2ID });
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < deadline) {
        await verify(stored, 'bench password');
        done++;
      }
    }),
  );
  process.stdout.write(JSON.stringify({ verifiesPerSecond: done / seconds }));
}

void main();
