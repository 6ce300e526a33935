/** /api/v1/adoptions: preview pushing chosen existing records to Kaseya BMS, confirm it, follow its progress. */
import { Router } from 'express';
import { confirmAdoption, getAdoptionView, previewAdoption } from '../../services/adoptions';
import type { RecordServiceDeps } from '../../services/records';
import { principalOf, requirePermission } from '../auth';
import type { AdoptionView } from '../contract';
import { AdoptionConfirmBody, AdoptionPreviewBody, IdParams } from '../schemas';
import { parse } from '../validate';

export function adoptionRoutes(deps: RecordServiceDeps): Router {
  const router = Router();

  router.post('/', requirePermission('records:adopt'), async (req, res) => {
    const body = parse(AdoptionPreviewBody, req.body, 'body');
    const view: AdoptionView = await previewAdoption(deps, principalOf(res), body.records);
    res.status(202).json({ data: view });
  });

  router.get('/:id', requirePermission('records:read'), async (req, res) => {
    const { id } = parse(IdParams, req.params, 'path');
    res.json({ data: await getAdoptionView(deps, principalOf(res).accountId, id) });
  });

  router.post('/:id/confirm', requirePermission('records:adopt'), async (req, res) => {
    const { id } = parse(IdParams, req.params, 'path');
    const body = parse(AdoptionConfirmBody, req.body ?? {}, 'body');
    res.json({ data: await confirmAdoption(deps, principalOf(res), id, body.records) });
  });

  return router;
}
