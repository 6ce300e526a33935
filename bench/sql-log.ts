/**
 * SQL profile for profiling runs (`--sql-log <server log file>`): the bench's database gets
 * `log_min_duration_statement = 0`, so PostgreSQL logs every statement of the worker and API sessions with
 * its duration; each phase's share of the server log is then read back and summed per statement shape.
 * Needs the server's log file readable and the default `log_line_prefix` (`%m [%p] %q%u@%d `). Logging
 * every statement costs time itself: use it to see where time goes, not for the headline figures.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import pg from 'pg';
import type { Db } from '../db';
import { round } from './measure';

export interface SqlStatement {
  sql: string;
  count: number;
  totalMs: number;
  meanMs: number;
}

export interface SqlProfile {
  statements: number;
  /** Server time of parse + bind + execute, summed over the statements. */
  totalMs: number;
  top: SqlStatement[];
}

export async function enableStatementLog(db: Db, database: string): Promise<void> {
  await db.raw(`ALTER DATABASE ${pg.escapeIdentifier(database)} SET log_min_duration_statement = 0`);
}

/** `in ($1, $2, …)` and multi-row `values (…), (…)` folded, literals and parameters replaced by `?`. */
function shape(sql: string): string {
  return sql
    .replace(/\s+/g, ' ')
    .replace(/\$\d+/g, '?')
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/\b\d+\b/g, '?')
    .replace(/\(\s*\?(\s*,\s*\?)*\s*\)/g, '(…)')
    .replace(/(\(…\)\s*,\s*)+\(…\)/g, '(…)…')
    .trim()
    .slice(0, 200);
}

export class StatementLog {
  private offset: number;

  constructor(
    private readonly file: string,
    private readonly database: string,
  ) {
    this.offset = statSync(file).size;
  }

  /** Statements logged since the last call (or since the log was opened). */
  read(top = 15): SqlProfile {
    const size = statSync(this.file).size;
    const length = Math.max(0, size - this.offset);
    const buffer = Buffer.alloc(length);
    const fd = openSync(this.file, 'r');
    try {
      readSync(fd, buffer, 0, length, this.offset);
    } finally {
      closeSync(fd);
    }
    this.offset = size;
    const marker = `@${this.database} LOG:  duration: `;
    const byShape = new Map<string, { count: number; totalMs: number }>();
    let statements = 0;
    let totalMs = 0;
    // An entry starts with the timestamp prefix; continuation lines (multi-line SQL) start with a tab.
    const entries = buffer.toString('utf8').split(/\n(?=\d{4}-\d\d-\d\d )/);
    for (const entry of entries) {
      const at = entry.indexOf(marker);
      if (at < 0) continue;
      const m = /^([\d.]+) ms {2}(parse|bind|execute|statement)[^:]*: ([\s\S]*)$/.exec(entry.slice(at + marker.length));
      if (!m) continue;
      const ms = Number(m[1]);
      totalMs += ms;
      const kind = m[2];
      const key = shape(m[3] ?? '');
      const s = byShape.get(key) ?? { count: 0, totalMs: 0 };
      s.totalMs += ms;
      // One statement = one execute (extended protocol) or one simple-protocol statement.
      if (kind === 'execute' || kind === 'statement') {
        s.count++;
        statements++;
      }
      byShape.set(key, s);
    }
    const list = [...byShape.entries()]
      .map(([sql, s]) => ({ sql, count: s.count, totalMs: round(s.totalMs, 1), meanMs: round(s.totalMs / Math.max(1, s.count), 3) }))
      .sort((a, b) => b.totalMs - a.totalMs)
      .slice(0, top);
    return { statements, totalMs: round(totalMs, 0), top: list };
  }
}
