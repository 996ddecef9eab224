/**
 * Runs the ChangeFeed and Leases conformance suite (../conformance/coherence.ts) against SQLite:
 * writers on one data folder's database, as the workers of COFFER_WORKERS are (each its own handle).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { coherenceConformance } from '../conformance/coherence.ts';
import { createSecretBox } from '../keystore/secret-box.ts';
import { closeDatabase, openDatabase } from './sqlite.ts';
import { createSqliteStorage } from './sqlite-storage.ts';
import { createSqliteChangeFeed, createSqliteLeases } from './sqlite-coherence.ts';

coherenceConformance('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-coherence-'));
  const file = join(dir, 'coffer.db');
  const box = createSecretBox({ activeId: 'dk-1', key: () => randomBytes(32) });
  const handles: Database.Database[] = [];
  return {
    writer: async (origin) => {
      const db = openDatabase(file, { ownerLock: handles.length === 0 });
      handles.push(db);
      return { storage: createSqliteStorage(db, box), feed: createSqliteChangeFeed(db, origin), leases: createSqliteLeases(db) };
    },
    close: () => {
      for (const db of handles.reverse()) closeDatabase(db);
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
