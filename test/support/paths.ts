import path from 'node:path';

/** The repository root, from a compiled test under <outDir>/test/<folder>/. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
