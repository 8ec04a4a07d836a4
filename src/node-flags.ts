/**
 * V8 flags the server runs with in production: `npm start` passes them, the benchmark starts
 * the server with them, and test/node-flags.test.ts keeps the two the same. They must be given
 * on the command line (or NODE_OPTIONS): V8 sizes its heap before any of our code runs.
 *
 * --max-semi-space-size=4: under load V8 grows the young generation to 2 x 16 MB, all of it
 * resident. Capped at 4 MB a semi-space, the full benchmark peaks at ~142 MB instead of ~167
 * (target 150) with every throughput target still met (README, "Performance").
 */
export const PRODUCTION_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

/**
 * Environment the server's process starts with in production, for the C library rather than
 * V8 (read by glibc before any of our code runs): `npm start` sets it, the benchmark starts
 * the server with it, and test/node-flags.test.ts keeps the two the same.
 *
 * MALLOC_ARENA_MAX=2: glibc gives each thread that allocates its own malloc arena, up to 8 per
 * core. argon2id's 12 MiB blocks are allocated on the libuv pool's threads, SQLite's page cache
 * and Node's buffers on the main thread; freed memory stays in the arena that served it, so RSS
 * creeps up over a long soak while the JavaScript heap stays flat. Two arenas bound that
 * fragmentation. Measured (a login + refresh mix, 24 clients, 150 s, this 2-core VM): peak RSS
 * 139 MB without, 131 MB with, at equal or better throughput (README, "Performance").
 */
export const PRODUCTION_ENV: Readonly<Record<string, string>> = Object.freeze({ MALLOC_ARENA_MAX: '2' });
