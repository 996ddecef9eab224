/**
 * What several processes on one data folder (COFFER_WORKERS) need from its SQLite database besides
 * the data: the change notices each commit leaves for the others (a change_log table written in
 * the commit's transaction, read by polling), and leases (one scheduler among the workers).
 * SQLite serializes writers, so a notice's id is its commit order: a reader that asks for ids after
 * the last it saw misses none while the log keeps them (KEEP_MS).
 */
import type Database from 'better-sqlite3';
import type { ChangeFeed, ChangeNotice, Leases } from '../../ports/storage.ts';

/** How long notices are kept: a reader that could not read for longer may have missed some. */
export const NOTICE_KEEP_MS = 60_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS change_log (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, origin TEXT NOT NULL, topics TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at INTEGER NOT NULL);
`;

/** Appends a notice; called by sqlite-storage.ts inside the commit's transaction. */
export function noticeAppender(db: Database.Database): (origin: string, topics: readonly string[]) => void {
  db.exec(SCHEMA);
  const insert = db.prepare('INSERT INTO change_log (at, origin, topics) VALUES (?, ?, ?)');
  return (origin, topics) => { insert.run(Date.now(), origin, JSON.stringify(topics)); };
}

const parseTopics = (text: string): string[] => {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
};

/** The notices of writers other than `origin`, each once; pruned past NOTICE_KEEP_MS by whoever reads. */
export function createSqliteChangeFeed(db: Database.Database, origin: string): ChangeFeed {
  db.exec(SCHEMA);
  const after = db.prepare<[number], { id: number; at: number; origin: string; topics: string }>('SELECT * FROM change_log WHERE id > ? ORDER BY id LIMIT 10000');
  const oldestKept = db.prepare<[], { id: number | null }>('SELECT min(id) AS id FROM change_log');
  const last = db.prepare<[], { id: number | null }>('SELECT max(id) AS id FROM change_log');
  const prune = db.prepare('DELETE FROM change_log WHERE at < ?');
  let seen = last.get()?.id ?? 0;
  let polls = 0;
  return {
    poll: async () => {
      if (++polls % 100 === 0) db.transaction(() => prune.run(Date.now() - NOTICE_KEEP_MS)).immediate();
      const rows = after.all(seen);
      // Ids below the oldest kept one that this reader never saw were pruned: notices were lost.
      const oldest = oldestKept.get()?.id ?? null;
      const lost = oldest !== null && oldest > seen + 1 && seen !== 0;
      const notices: ChangeNotice[] = [];
      for (const r of rows) {
        seen = r.id;
        if (r.origin !== origin) notices.push({ origin: r.origin, topics: parseTopics(r.topics) });
      }
      return { notices, lost };
    },
  };
}

/** Leases on the local clock (every worker of a data folder runs on this machine). */
export function createSqliteLeases(db: Database.Database): Leases {
  db.exec(SCHEMA);
  const take = db.prepare(`INSERT INTO leases (name, holder, expires_at) VALUES (@name, @holder, @until)
    ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
    WHERE leases.holder = excluded.holder OR leases.expires_at < @now`);
  const holderOf = db.prepare<[string], { holder: string }>('SELECT holder FROM leases WHERE name = ?');
  const release = db.prepare('DELETE FROM leases WHERE name = ? AND holder = ?');
  return {
    acquire: async (name, holder, ttlMs) => db.transaction(() => {
      const now = Date.now();
      take.run({ name, holder, until: now + ttlMs, now });
      return holderOf.get(name)?.holder === holder;
    }).immediate(),
    release: async (name, holder) => { db.transaction(() => release.run(name, holder)).immediate(); },
  };
}
