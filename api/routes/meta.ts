/**
 * /api/v1/meta: what the web UI needs to know about this service without copying its tables:
 * the record field table of domain/records.ts (which fields are synced with Kaseya BMS, their kinds and
 * references), the sync states, and which actions the caller's role allows (api/permissions.ts).
 */
import { Router } from 'express';
import { type FieldSpec, RECORD_COLLECTIONS, RECORD_FIELDS, RECORD_TYPES } from '../../domain/records';
import { SYNC_STATES } from '../../domain/sync-state';
import { principalOf, requirePermission } from '../auth';
import type { Permissions, RecordsMeta } from '../contract';
import { ACTIONS, allowed } from '../permissions';

function recordsMeta(): RecordsMeta {
  return {
    recordTypes: RECORD_TYPES.map((type) => ({
      type,
      collection: RECORD_COLLECTIONS[type],
      fields: Object.entries(RECORD_FIELDS[type] as Record<string, FieldSpec>).map(([name, spec]) => ({
        name,
        kind: spec.kind,
        synced: spec.synced,
        ref: spec.ref ?? null,
        required: Boolean(spec.required),
        maxLength: spec.maxLength ?? null,
      })),
    })),
    syncStates: [...SYNC_STATES],
  };
}

export function metaRoutes(): Router {
  const router = Router();
  const records = { data: recordsMeta() };

  router.get('/meta/records', requirePermission('records:read'), (_req, res) => {
    res.json(records);
  });

  router.get('/meta/permissions', (_req, res) => {
    const { role } = principalOf(res);
    res.json({ data: { role, actions: ACTIONS.filter((action) => allowed(role, action)) } satisfies Permissions });
  });

  return router;
}
