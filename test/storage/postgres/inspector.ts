import type { RefreshToken } from '../../../src/storage/sessions';
import type { Storage } from '../../../src/storage/storage';
import { sqlOn, testDatabaseUrlOf } from '../../support/postgres';
import type { StorageInspector } from '../../support/storage-inspector';

interface RefreshTokenRow {
  id: string;
  session_id: string;
  token_hash: string;
  created_at: Date;
  expires_at: Date;
  rotated_at: Date | null;
  rotation_nonce: string | null;
  replaced_by: string | null;
}

/** The PostgreSQL answers to StorageInspector, read over a connection of its own. */
export function inspectPostgresStorage(storage: Storage): StorageInspector {
  const url = testDatabaseUrlOf(storage);
  if (!url) throw new Error('inspectPostgresStorage: open the storage with openTestPostgresStorage');
  return {
    async refreshTokens(): Promise<RefreshToken[]> {
      const rows = await sqlOn<RefreshTokenRow>(url, 'SELECT * FROM refresh_tokens');
      return rows.map((row) => ({
        id: row.id,
        sessionId: row.session_id,
        tokenHash: row.token_hash,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
        rotatedAt: row.rotated_at,
        rotationNonce: row.rotation_nonce,
        replacedBy: row.replaced_by,
      }));
    },
    async rawRows(table) {
      return sqlOn(url, `SELECT * FROM "${table.replaceAll('"', '""')}"`);
    },
  };
}
