/** Read-only figures for the metrics endpoint, read when scraped (never on the request path). */
import type Database from 'better-sqlite3';
import type { KeyCount } from '../../ports/key-repository.ts';

export function createKeyStateCounter(db: Database.Database): () => readonly KeyCount[] {
  const q = db.prepare<[], KeyCount>("SELECT account_id AS accountId, region, json_extract(doc, '$.state') AS state, count(*) AS n FROM keys GROUP BY 1, 2, 3");
  return () => q.all();
}
