/**
 * The SQLite lookup of state changes reads the partial indexes (EXPLAIN QUERY PLAN of the statements
 * the store prepares): a rare management event is found without scanning the trail's read-only records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { createSqliteAuditStore } from './sqlite-audit.ts';

test('EventName of a state change and ReadOnly=false use the state changes\' partial indexes', async () => {
  const db = new Database(':memory:');
  const prepared: string[] = [];
  const prepare = db.prepare.bind(db);
  // Records every statement the store prepares, to ask SQLite how it would run it.
  (db as unknown as { prepare: (sql: string) => unknown }).prepare = (sql: string) => { prepared.push(sql); return prepare(sql); };
  const store = createSqliteAuditStore(db);
  const planOf = (sql: string): string => prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ account: 'a', limit: 1, value: 'x' })
    .map((r) => String((r as { detail: unknown }).detail)).join(' | ');
  const lookupSql = async (q: Parameters<typeof store.lookup>[0]): Promise<string> => {
    const before = prepared.length;
    await store.lookup(q);
    const sql = prepared.slice(before).find((s) => s.startsWith('SELECT * FROM audit_records WHERE'));
    assert.ok(sql, 'the lookup prepared its statement');
    return sql;
  };
  const byName = planOf(await lookupSql({ accountId: 'a', attribute: { key: 'EventName', value: 'CreateKey' }, limit: 1, changesOnly: true }));
  assert.match(byName, /audit_records_changes_by_name/, byName);
  const byTime = planOf(await lookupSql({ accountId: 'a', attribute: { key: 'ReadOnly', value: 'false' }, limit: 1, changesOnly: true }));
  assert.match(byTime, /audit_records_changes_by_(time|name)/, byTime);
  // Without the hint (an Encrypt lookup) the statement reads the trail by time, as before.
  const plain = planOf(await lookupSql({ accountId: 'a', attribute: { key: 'EventName', value: 'Encrypt' }, limit: 1 }));
  assert.doesNotMatch(plain, /audit_records_changes/, plain);
  db.close();
});
