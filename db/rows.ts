import type { Knex } from 'knex';

/** Reading timestamp columns: pg returns Date objects; the API and domain speak ISO strings. */
export function isoOrNull(value: unknown): string | null {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') return value;
  return null;
}

export function iso(value: unknown): string {
  return isoOrNull(value) ?? '';
}

/**
 * An insert of many rows as one statement with a single parameter (`jsonb_to_recordset`): however many
 * rows, the statement stays small to send, parse and plan. Values are as JSON carries them (jsonb
 * columns as objects or arrays, timestamps as ISO strings); a key a row lacks is NULL. `suffix` is
 * appended (e.g. an ON CONFLICT clause).
 */
export function jsonInsert(
  db: Knex | Knex.Transaction,
  table: string,
  columns: ReadonlyArray<readonly [column: string, sqlType: string]>,
  rows: Array<Record<string, unknown>>,
  suffix = '',
): Knex.Raw {
  const names = columns.map(([c]) => `"${c}"`).join(', ');
  const types = columns.map(([c, t]) => `"${c}" ${t}`).join(', ');
  return db.raw(`INSERT INTO "${table}" (${names}) SELECT ${names} FROM jsonb_to_recordset(?::jsonb) AS x(${types})${suffix ? ` ${suffix}` : ''}`, [
    JSON.stringify(rows),
  ]);
}
