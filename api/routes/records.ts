/** /api/v1/{organizations|locations|contacts|configurations}: list, get, create, update, delete, push, history. */
import express, { type Response, Router } from 'express';
import { parse as parseCsv } from 'csv-parse/sync';
import { fieldSpecs, type RecordFields } from '../../domain/records';
import { ORIGIN_WRITES, RECORD_COLLECTIONS, RECORD_TYPES, type RecordType } from '../../domain/records';
import {
  createRecordAs,
  createRecordOnce,
  deleteRecordAs,
  IMPORT_MAX_ROWS,
  importRecords,
  setRecordSyncEnabled,
  getRecordView,
  listRecordViews,
  pushRecordAs,
  type RecordServiceDeps,
  type RecordView,
  recordHistory,
  updateRecordAs,
} from '../../services/records';
import { principalOf, requirePermission } from '../auth';
import type { RecordJson } from '../contract';
import { ApiError } from '../errors';
import { validationIssues } from '../../services/errors';
import { expectedVersionOf, idempotencyKeyOf, recordEtag } from '../preconditions';
import { EXPORT_MAX_ROWS, exportFormat, HISTORY_COLUMNS, sendExport } from '../export';
import { IdParams, ListQuery, RecordHistoryQuery, recordBodySchema, recordUpdateSchema } from '../schemas';
import { parse, safeParseStorable } from '../validate';

/** The JSON a record is shown as: its fields flattened beside its id, version and sync object. */
export function recordJson(view: RecordView): RecordJson {
  return {
    id: view.id,
    recordType: view.type,
    ...view.fields,
    version: view.version,
    createdAt: view.createdAt,
    updatedAt: view.updatedAt,
    updatedOrigin: view.updatedOrigin,
    sync: view.sync,
  };
}

/** One record's answer, with its version as the ETag. */
function sendRecord(res: Response, view: RecordView, status = 200): void {
  // The ETag names the version of the record's fields, and its sync object moves on without a new one:
  // a conditional GET must not be answered "304 Not Modified" on the strength of it.
  delete res.req.headers['if-none-match'];
  res.status(status).set('ETag', recordEtag(view.version)).json({ data: recordJson(view) });
}

export const IMPORT_BODY_LIMIT = '10mb';

function importJsonRows(body: unknown): unknown[] {
  const rows = Array.isArray(body) ? body : (body as { records?: unknown } | undefined)?.records;
  if (!Array.isArray(rows)) throw new ApiError(400, 'validation_error', 'records: expected an array of records', { field: 'records' });
  if (rows.length > IMPORT_MAX_ROWS) throw new ApiError(413, 'too_many_rows', `An import takes at most ${IMPORT_MAX_ROWS} rows`);
  return rows;
}

/** CSV with a header row of field names; cells typed by the field table (lists are `;`-separated). */
function csvRows(type: RecordType, text: string): Array<Partial<RecordFields>> {
  let table: Array<Record<string, string>>;
  try {
    table = parseCsv(text, { columns: true, skip_empty_lines: true, trim: true, bom: true, to: IMPORT_MAX_ROWS + 1 }) as Array<Record<string, string>>;
  } catch (err) {
    throw new ApiError(400, 'invalid_csv', `The CSV could not be read: ${(err as Error).message}`);
  }
  if (table.length > IMPORT_MAX_ROWS) throw new ApiError(413, 'too_many_rows', `An import takes at most ${IMPORT_MAX_ROWS} rows`);
  const specs = fieldSpecs(type);
  return table.map((cells, index) => {
    const row: Record<string, unknown> = {};
    for (const [column, cell] of Object.entries(cells)) {
      const spec = specs[column];
      if (!spec) throw new ApiError(400, 'validation_error', `Row ${index + 1}: unknown column ${column}`, { row: index + 1, field: column });
      if (cell === '') {
        if (spec.kind !== 'boolean' && spec.kind !== 'emails' && spec.kind !== 'phones') row[column] = null;
        continue;
      }
      if (spec.kind === 'boolean') row[column] = /^(true|yes|1)$/i.test(cell) ? true : /^(false|no|0)$/i.test(cell) ? false : cell;
      else if (spec.kind === 'emails' || spec.kind === 'phones') {
        row[column] = cell.split(';').map((value, i) => ({ value: value.trim(), label: null, primary: i === 0 }));
      } else row[column] = cell;
    }
    return row as Partial<RecordFields>;
  });
}

function recordRouter(deps: RecordServiceDeps, type: RecordType): Router {
  const router = Router();
  const createSchema = recordBodySchema(type, 'create');
  const updateSchema = recordUpdateSchema(type);

  router.get('/', requirePermission('records:read'), async (req, res) => {
    const q = parse(ListQuery, req.query, 'query');
    const states = q.syncState;
    const { items, total } = await listRecordViews(deps, principalOf(res).accountId, type, {
      limit: q.pageSize,
      offset: (q.page - 1) * q.pageSize,
      search: q.search,
      organizationId: q.organizationId,
      syncStates: states,
      includeUnlinked: states?.includes('not_pushed'),
      createdOrigins: q.origin ? ORIGIN_WRITES[q.origin] : undefined,
    });
    res.json({ data: items.map(recordJson), meta: { page: q.page, pageSize: q.pageSize, total } });
  });

  router.post('/', requirePermission('records:write'), async (req, res) => {
    const key = idempotencyKeyOf(req);
    const body = parse(createSchema, req.body, 'body');
    const principal = principalOf(res);
    const { view, replayed } = key ? await createRecordOnce(deps, principal, type, body, key) : { view: await createRecordAs(deps, principal, type, body), replayed: false };
    if (replayed) res.set('Idempotent-Replayed', 'true');
    sendRecord(res.location(`${req.baseUrl}/${view.id}`), view, 201);
  });

  router.post(
    '/import',
    requirePermission('records:import'),
    express.text({ type: ['text/csv', 'text/plain'], limit: IMPORT_BODY_LIMIT }),
    async (req, res) => {
      const raw = typeof req.body === 'string' ? csvRows(type, req.body) : importJsonRows(req.body);
      const rows = raw.map((row, index) => {
        const result = safeParseStorable(createSchema, row);
        if (!result.success) {
          const issues = validationIssues(result.error);
          const first = issues[0]!;
          throw new ApiError(400, 'validation_error', `Row ${index + 1}: ${first.field || 'row'}: ${first.message}`, {
            row: index + 1,
            field: first.field,
            issues,
          });
        }
        return result.data;
      });
      const result = await importRecords(deps, principalOf(res), type, rows);
      res.status(201).json({ data: result });
    },
  );

  router.get('/:id', requirePermission('records:read'), async (req, res) => {
    const { id } = parse(IdParams, req.params, 'path');
    sendRecord(res, await getRecordView(deps, principalOf(res).accountId, type, id));
  });

  router.patch('/:id', requirePermission('records:write'), async (req, res) => {
    const { id } = parse(IdParams, req.params, 'path');
    const { version, ...patch } = parse(updateSchema, req.body, 'body');
    const expectedVersion = expectedVersionOf(req, version);
    sendRecord(res, await updateRecordAs(deps, principalOf(res), type, id, patch, undefined, expectedVersion));
  });

  router.delete('/:id', requirePermission('records:write'), async (req, res) => {
    const { id } = parse(IdParams, req.params, 'path');
    await deleteRecordAs(deps, principalOf(res), type, id);
    res.status(204).end();
  });

  router.post('/:id/push', requirePermission('records:write'), async (req, res) => {
    const { id } = parse(IdParams, req.params, 'path');
    const principal = principalOf(res);
    if (principal.kind !== 'session') {
      throw new ApiError(403, 'ui_only', 'The push action is for people in the web UI; API writes are never pushed automatically');
    }
    sendRecord(res, await pushRecordAs(deps, principal, type, id), 202);
  });

  router.post('/:id/sync/disable', requirePermission('integration:write'), async (req, res) => {
    const { id } = parse(IdParams, req.params, 'path');
    sendRecord(res, await setRecordSyncEnabled(deps, principalOf(res), type, id, false));
  });

  router.post('/:id/sync/enable', requirePermission('integration:write'), async (req, res) => {
    const { id } = parse(IdParams, req.params, 'path');
    sendRecord(res, await setRecordSyncEnabled(deps, principalOf(res), type, id, true));
  });

  router.get('/:id/history', requirePermission('records:read'), async (req, res) => {
    const { id } = parse(IdParams, req.params, 'path');
    const { kind, format } = parse(RecordHistoryQuery, req.query, 'query');
    const exported = exportFormat(req, format);
    const accountId = principalOf(res).accountId;
    if (exported) {
      const rows = await recordHistory(deps, accountId, type, id, { kind, limit: EXPORT_MAX_ROWS + 1 });
      const shown = rows.slice(0, EXPORT_MAX_ROWS);
      // One more than the cap was read: that is enough to say the export is cut short.
      sendExport(res, { name: `${type}-history`, format: exported, columns: HISTORY_COLUMNS, rows: shown, total: rows.length });
      return;
    }
    res.json({ data: await recordHistory(deps, accountId, type, id, { kind }) });
  });

  return router;
}

export function recordRoutes(deps: RecordServiceDeps): Router {
  const router = Router();
  for (const type of RECORD_TYPES) router.use(`/${RECORD_COLLECTIONS[type]}`, recordRouter(deps, type));
  return router;
}
