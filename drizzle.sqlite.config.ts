import { defineConfig } from 'drizzle-kit';

/** `npm run db:generate:sqlite`: migrations for the SQLite adapter, from its schema. */
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/storage/sqlite/schema.ts',
  out: './drizzle/sqlite',
  dbCredentials: { url: 'data/keycard.db' },
});
