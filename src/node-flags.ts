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
