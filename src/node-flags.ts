/**
 * V8 flags the server runs with in production: `npm start` passes them, the benchmark starts
 * the server with them, and test/node-flags.test.ts keeps the two the same. They must be given
 * on the command line (or NODE_OPTIONS): V8 sizes its heap before any of our code runs.
 *
 * --heap-growing-percent=25: after a full collection V8 lets the old generation grow to a
 * multiple of what survived (up to 2-4x on a small heap) before the next one. Requests that
 * wait (50 logins queued behind argon2id, each holding its context) outlive two scavenges, are
 * promoted, then die: garbage that sat in old space. The heap of a login storm reached 63-71 MB
 * (56-65 MB "used", nearly all of it dead); a heap snapshot of the same process held 22 MB.
 * Growing by 25% at a time, the storm's heap stays at 40-44 MB and peak RSS at 120-128 MB
 * instead of 137-155, at the same login rate (140-171 against 144-160 logins/s, single runs).
 *
 * --max-semi-space-size=8: under load V8 grows the young generation to 2 x 16 MB, all of it
 * resident. 8 MB a semi-space keeps 16 MB of that. A smaller young generation means more
 * scavenges that each copy the live requests' objects: GC time per request on the 100-user
 * list, from the benchmark's probe, was 136 us at 4 MB, 75 us at 8 MB, 57 us uncapped.
 *
 * Together (full benchmark, 2026-11-30): max RSS 150 MB with the 16 MB SQLite cache, 138 MB
 * with the 8 MB one (src/storage/sqlite/client.ts); it was 200 MB with a 4 MB young generation
 * and nothing bounding the old one.
 */
export const PRODUCTION_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--heap-growing-percent=25'];

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
