import { defineConfig } from 'drizzle-kit';

/** PostgreSQL migrations (npm run db:generate:postgres); SQLite's are drizzle.config.ts's. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/storage/postgres/schema.ts',
  out: './drizzle/postgres',
});
