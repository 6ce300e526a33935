/** /api/v1/{organizations|locations|contacts|configurations}: list, get, create, update, delete, push, history. */
import { Router } from 'express';
import { RECORD_COLLECTIONS, RECORD_TYPES, type RecordType } from '../../domain/records';
import {
  createRecordAs,
  deleteRecordAs,
  getRecordView,
  listRecordViews,
  pushRecordAs,
  type RecordServiceDeps,
  type RecordView,
  recordHistory,
  updateRecordAs,
} from '../../services/records';
import { principalOf, requirePermission } from '../auth';
import { ApiError } from '../errors';
import { IdParams, ListQuery, recordBodySchema } from '../schemas';
import { parse } from '../validate';

/** The JSON a record is shown as: its fields flattened beside its id, version and sync object. */
export function recordJson(view: RecordView) {
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

function recordRouter(deps: RecordServiceDeps, type: RecordType): Router {
  const router = Router();
  const createSchema = recordBodySchema(type, 'create');
  const updateSchema = recordBodySchema(type, 'update');

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
    });
    res.json({ data: items.map(recordJson), meta: { page: q.page, pageSize: q.pageSize, total } });
  });

  router.post('/', requirePermission('records:write'), async (req, res) => {
    const body = parse(createSchema, req.body, 'body');
    const view = await createRecordAs(deps, principalOf(res), type, body);
    res.status(201).location(`${req.baseUrl}/${view.id}`).json({ data: recordJson(view) });
  });

  router.get('/:id', requirePermission('records:read'), async (req, res) => {
    const { id } = parse(IdParams, req.params, 'path');
    res.json({ data: recordJson(await getRecordView(deps, principalOf(res).accountId, type, id)) });
  });

  router.patch('/:id', requirePermission('records:write'), async (req, res) => {
    const { id } = parse(IdParams, req.params, 'path');
    const body = parse(updateSchema, req.body, 'body');
    res.json({ data: recordJson(await updateRecordAs(deps, principalOf(res), type, id, body)) });
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
    res.status(202).json({ data: recordJson(await pushRecordAs(deps, principal, type, id)) });
  });

  router.get('/:id/history', requirePermission('records:read'), async (req, res) => {
    const { id } = parse(IdParams, req.params, 'path');
    res.json({ data: await recordHistory(deps, principalOf(res).accountId, type, id) });
  });

  return router;
}

export function recordRoutes(deps: RecordServiceDeps): Router {
  const router = Router();
  for (const type of RECORD_TYPES) router.use(`/${RECORD_COLLECTIONS[type]}`, recordRouter(deps, type));
  return router;
}
