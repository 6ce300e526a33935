/** /api/v1/integrations/kaseya-bms: connection, Sync Settings, Sync now, pause/resume, runs, lookups. */
import { type RequestHandler, Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import { getIntegration } from '../../db/integrations';
import {
  connect,
  getRunView,
  type IntegrationServiceDeps,
  integrationView,
  listRunViews,
  previewSettings,
  requireIntegration,
  setPaused,
  syncNow,
  updateSettings,
} from '../../services/integration';
import { principalOf, requirePermission } from '../auth';
import type { Integration, IntegrationView, Lookups, SettingsPreview, SettingsView } from '../contract';
import { EXPORT_MAX_ROWS, exportFormat, HISTORY_COLUMNS, RUN_COLUMNS, sendExport } from '../export';
import { envelope } from '../errors';
import { ConnectionBody, HistoryQuery, IdParams, ManageBody, ReviewActionBody, ReviewBulkBody, ReviewQuery, RunsQuery, SettingsBody } from '../schemas';
import { heldHistory, reviewAction, reviewBulk, reviewList } from '../../services/review';
import { accountHistory, bulkAction, type RecordServiceDeps, syncSummary } from '../../services/records';
import { parse } from '../validate';

/** A Sync Settings change's envelope (400); the settings in it are checked by the service, as a change and merged with what is stored (422). */
const SettingsEnvelope = SettingsBody.extend({ settings: z.unknown().optional() });

function settingsView(view: IntegrationView): SettingsView {
  return { settings: view.settings, twoWayEnabled: view.twoWayEnabled, paused: view.paused };
}

function recordDeps(deps: IntegrationServiceDeps): RecordServiceDeps {
  return { db: deps.db, temporal: deps.temporal, temporalConfig: deps.config.temporal, logger: deps.logger };
}

/** Connection attempts allowed per account per minute, before 429s. */
export const CONNECT_ATTEMPTS_PER_MINUTE = 5;

/**
 * Each connection attempt sends credentials to an address a person typed: a handful a minute is plenty
 * for people, and too few to use the service to probe addresses or guess passwords. Counted per account
 * (per API process), refused attempts included.
 */
function connectThrottle(): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: CONNECT_ATTEMPTS_PER_MINUTE,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (_req, res) => principalOf(res).accountId,
    handler: (_req, res) => {
      res.status(429).json(envelope('too_many_attempts', 'Too many connection attempts for this account; wait a minute and try again'));
    },
  });
}

export function integrationRoutes(deps: IntegrationServiceDeps): Router {
  const router = Router();

  router.get('/', requirePermission('integration:read'), async (_req, res) => {
    const integration = await getIntegration(deps.db, principalOf(res).accountId);
    res.json({ data: (integration ? integrationView(deps.config, integration) : { connected: false }) satisfies Integration });
  });

  router.put('/', requirePermission('integration:write'), connectThrottle(), async (req, res) => {
    const body = parse(ConnectionBody, req.body, 'body');
    res.json({ data: await connect(deps, principalOf(res).accountId, body) });
  });

  router.get('/sync-settings', requirePermission('integration:read'), async (_req, res) => {
    const view = integrationView(deps.config, await requireIntegration(deps.db, principalOf(res).accountId));
    res.json({ data: settingsView(view) });
  });

  router.patch('/sync-settings', requirePermission('integration:write'), async (req, res) => {
    const body = parse(SettingsEnvelope, req.body, 'body');
    const view = await updateSettings(deps, principalOf(res).accountId, body);
    res.json({ data: settingsView(view) });
  });

  router.post('/sync-settings/preview', requirePermission('integration:write'), async (req, res) => {
    const body = parse(SettingsEnvelope, req.body, 'body');
    res.json({ data: (await previewSettings(deps, principalOf(res).accountId, body)) satisfies SettingsPreview });
  });

  router.post('/sync', requirePermission('sync:trigger'), async (_req, res) => {
    res.status(202).json({ data: await syncNow(deps, principalOf(res).accountId) });
  });

  router.post('/pause', requirePermission('integration:write'), async (_req, res) => {
    res.json({ data: await setPaused(deps, principalOf(res).accountId, true) });
  });

  router.post('/resume', requirePermission('integration:write'), async (_req, res) => {
    res.json({ data: await setPaused(deps, principalOf(res).accountId, false) });
  });

  router.get('/lookups', requirePermission('integration:read'), async (_req, res) => {
    const integration = await requireIntegration(deps.db, principalOf(res).accountId);
    res.json({ data: integration.lookups satisfies Lookups });
  });

  router.get('/summary', requirePermission('integration:read'), async (_req, res) => {
    res.json({ data: await syncSummary(recordDeps(deps), principalOf(res).accountId) });
  });

  router.post('/manage', requirePermission('integration:write'), async (req, res) => {
    const body = parse(ManageBody, req.body, 'body');
    res.json({ data: await bulkAction(recordDeps(deps), principalOf(res), body.action, body.records) });
  });

  router.get('/review', requirePermission('integration:read'), async (req, res) => {
    const q = parse(ReviewQuery, req.query, 'query');
    await requireIntegration(deps.db, principalOf(res).accountId);
    res.json(await reviewList(deps, principalOf(res).accountId, q));
  });

  router.get('/review/held/:id/history', requirePermission('integration:read'), async (req, res) => {
    const { id } = parse(IdParams, req.params, 'path');
    res.json({ data: await heldHistory(deps.db, principalOf(res).accountId, id) });
  });

  router.post('/review/actions', requirePermission('integration:write'), async (req, res) => {
    const body = parse(ReviewActionBody, req.body, 'body');
    await requireIntegration(deps.db, principalOf(res).accountId);
    res.json({ data: await reviewAction(deps, principalOf(res), body) });
  });

  router.post('/review/actions/bulk', requirePermission('integration:write'), async (req, res) => {
    const body = parse(ReviewBulkBody, req.body, 'body');
    await requireIntegration(deps.db, principalOf(res).accountId);
    res.json({ data: await reviewBulk(deps, principalOf(res), body.actions) });
  });

  router.get('/runs', requirePermission('integration:read'), async (req, res) => {
    const { page, pageSize, format, ...filter } = parse(RunsQuery, req.query, 'query');
    const accountId = principalOf(res).accountId;
    const exported = exportFormat(req, format);
    if (exported) {
      const { items, total } = await listRunViews(deps, accountId, EXPORT_MAX_ROWS, 0, filter);
      sendExport(res, { name: 'sync-runs', format: exported, columns: RUN_COLUMNS, rows: items, total });
      return;
    }
    const { items, total } = await listRunViews(deps, accountId, pageSize, (page - 1) * pageSize, filter);
    res.json({ data: items, meta: { page, pageSize, total } });
  });

  router.get('/history', requirePermission('integration:read'), async (req, res) => {
    const { page, pageSize, format, ...filter } = parse(HistoryQuery, req.query, 'query');
    const accountId = principalOf(res).accountId;
    const exported = exportFormat(req, format);
    if (exported) {
      const { items, total } = await accountHistory(recordDeps(deps), accountId, filter, EXPORT_MAX_ROWS);
      sendExport(res, { name: 'record-history', format: exported, columns: HISTORY_COLUMNS, rows: items, total });
      return;
    }
    const { items, total } = await accountHistory(recordDeps(deps), accountId, filter, pageSize, (page - 1) * pageSize);
    res.json({ data: items, meta: { page, pageSize, total } });
  });

  router.get('/runs/:id', requirePermission('integration:read'), async (req, res) => {
    const { id } = parse(IdParams, req.params, 'path');
    res.json({ data: await getRunView(deps, principalOf(res).accountId, id) });
  });

  return router;
}
