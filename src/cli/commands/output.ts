/**
 * Printing data: JSON (the default, for scripts: the SDK's answer without its metadata) or a table
 * (cli-table3, no colours) for people.
 */
import Table from 'cli-table3';
import type { OutputFormat } from './client-options.ts';

export type Cell = string | number | boolean | Date | null | undefined | readonly string[];

const text = (c: Cell): string => (c === null || c === undefined ? '' : c instanceof Date ? c.toISOString() : Array.isArray(c) ? c.join(', ') : String(c));

function table(head: readonly string[] | undefined): InstanceType<typeof Table> {
  return new Table({ ...(head !== undefined ? { head: [...head] } : {}), style: { head: [], border: [] } });
}

/** Rows of objects: JSON as they are, or a table of `columns` (name → header). */
export function printRows<T extends object>(format: OutputFormat, rows: readonly T[], columns: ReadonlyArray<readonly [keyof T & string, string]>): void {
  if (format === 'json') { printJson(rows); return; }
  const t = table(columns.map(([, h]) => h));
  for (const r of rows) t.push(columns.map(([k]) => text(r[k] as Cell)));
  console.log(t.toString());
}

/** One object: JSON as it is, or a two-column table of its scalar fields (nested ones as JSON). */
export function printRecord(format: OutputFormat, record: object): void {
  if (format === 'json') { printJson(record); return; }
  const t = table(undefined);
  for (const [k, v] of Object.entries(record)) {
    if (v === undefined) continue;
    const cell = v instanceof Date || typeof v !== 'object' || v === null ? text(v as Cell) : Array.isArray(v) && v.every((x) => typeof x === 'string') ? text(v as string[]) : JSON.stringify(v);
    t.push({ [k]: cell });
  }
  console.log(t.toString());
}

export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}
