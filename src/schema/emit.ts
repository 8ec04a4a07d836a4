import fs from 'node:fs';
import path from 'node:path';
import { buildBaseSchema, printSdl } from './build-schema';

/** npm run schema:emit: writes schema/schema.graphql (the input of npm run codegen). */
export const SCHEMA_FILE = path.resolve(__dirname, '..', '..', '..', 'schema', 'schema.graphql');

if (require.main === module) {
  fs.writeFileSync(SCHEMA_FILE, printSdl(buildBaseSchema()));
  console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
}
