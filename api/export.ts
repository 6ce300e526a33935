/**
 * Log exports: a list answered as a CSV or JSON file instead of a page. Exports are capped (the newest
 * `EXPORT_MAX_ROWS` matching rows; the answer says when more matched), so one request never holds the
 * database or the API longer than a page of that size would.
 *
 * CSV is written by csv-stringify (the csv project's writer; csv-parse reads imports). A spreadsheet runs a
 * cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return before one) as a formula, so
 * every text cell that starts with one of them is prefixed with `'`, which spreadsheets show as text.
 */
import type { Request, Response } from 'express';
import { stringify } from 'csv-stringify/sync';
import type { HistoryEntry, SyncRun } from './contract';

export const EXPORT_MAX_ROWS = 10_000;
export type ExportFormat = 'csv' | 'json';

/** `?format=csv|json`, else `Accept: text/csv`; undefined: an ordinary page. */
export function exportFormat(req: Request, format: ExportFormat | undefined): ExportFormat | undefined {
  if (format) return format;
  return req.get('accept') && req.accepts(['application/json', 'text/csv']) === 'text/csv' ? 'csv' : undefined;
}

const FORMULA_START = /^[=+\-@\t\r]/;

/** A text cell a spreadsheet would run as a formula, made plain text (prefixed with '). */
export function neutralizeFormula(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | boolean | null | undefined;
}

/** CSV text (header row first; CRLF line ends, as RFC 4180 and spreadsheets expect), formula-safe. */
export function toCsv<T>(columns: Array<Column<T>>, rows: T[]): string {
  const records = rows.map((row) =>
    columns.map((c) => {
      const v = c.value(row);
      if (v === null || v === undefined) return '';
      return typeof v === 'string' ? neutralizeFormula(v) : String(v);
    }),
  );
  return stringify(records, { header: true, columns: columns.map((c) => neutralizeFormula(c.header)), record_delimiter: 'windows', bom: false });
}

/** Sends rows as a downloadable file: CSV by `columns`, or JSON `{data, meta}` with every field. */
export function sendExport<T>(
  res: Response,
  options: { name: string; format: ExportFormat; columns: Array<Column<T>>; rows: T[]; total: number },
): void {
  const truncated = options.total > options.rows.length;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  res.setHeader('X-Export-Rows', String(options.rows.length));
  res.setHeader('X-Export-Total', String(options.total));
  if (truncated) res.setHeader('X-Export-Truncated', 'true');
  res.setHeader('Content-Disposition', `attachment; filename="${options.name}-${stamp}.${options.format}"`);
  if (options.format === 'csv') {
    res.type('text/csv; charset=utf-8').send(toCsv(options.columns, options.rows));
    return;
  }
  res.json({ data: options.rows, meta: { total: options.total, exported: options.rows.length, truncated, maxRows: EXPORT_MAX_ROWS } });
}

const COUNTERS = ['seen', 'created', 'updated', 'linked', 'unchanged', 'orphaned', 'failed', 'skipped'] as const;

/** A run as a CSV row: its counts summed over the entities it pulled. */
export const RUN_COLUMNS: Array<Column<SyncRun>> = [
  { header: 'id', value: (r) => r.id },
  { header: 'startedAt', value: (r) => r.startedAt },
  { header: 'finishedAt', value: (r) => r.finishedAt },
  { header: 'status', value: (r) => r.status },
  { header: 'trigger', value: (r) => r.trigger },
  { header: 'durationSeconds', value: (r) => (r.finishedAt ? Math.round((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 100) / 10 : null) },
  ...COUNTERS.map((counter) => ({
    header: counter,
    value: (r: SyncRun) => Object.values(r.counts).reduce((sum, c) => sum + (c[counter] ?? 0), 0),
  })),
  { header: 'error', value: (r) => r.error },
  { header: 'workflowId', value: (r) => r.workflowId },
];

export const HISTORY_COLUMNS: Array<Column<HistoryEntry>> = [
  { header: 'id', value: (h) => h.id },
  { header: 'at', value: (h) => h.at },
  { header: 'recordType', value: (h) => h.recordType },
  { header: 'recordId', value: (h) => h.recordId },
  { header: 'kind', value: (h) => h.kind },
  { header: 'origin', value: (h) => h.origin },
  { header: 'summary', value: (h) => h.summary },
  { header: 'changes', value: (h) => (h.changes === undefined || h.changes === null ? null : JSON.stringify(h.changes)) },
  { header: 'workflowId', value: (h) => h.workflowId },
];
