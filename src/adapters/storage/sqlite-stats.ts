/** Read-only figures for the metrics endpoint, read when scraped (never on the request path). */
import type Database from 'better-sqlite3';

export function createKeyStateCounter(db: Database.Database): () => ReadonlyMap<string, number> {
  const q = db.prepare<[], { state: string; n: number }>("SELECT json_extract(doc, '$.state') AS state, count(*) AS n FROM keys GROUP BY 1");
  return () => new Map(q.all().map((r) => [r.state, r.n]));
}
