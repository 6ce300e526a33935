/** /api/v1/notifications: channels (administrators), "send a test", and the delivery log. */
import { Router } from 'express';
import {
  addChannel,
  changeChannel,
  listChannelViews,
  listDeliveryViews,
  type NotificationServiceDeps,
  removeChannel,
  sendTest,
} from '../../services/notifications';
import { principalOf, requirePermission } from '../auth';
import { ChannelChange, DeliveriesQuery, IdParams, NewChannel } from '../schemas';
import { parse } from '../validate';

export function notificationRoutes(deps: NotificationServiceDeps): Router {
  const router = Router();

  router.get('/channels', requirePermission('notifications:manage'), async (_req, res) => {
    res.json({ data: await listChannelViews(deps, principalOf(res).accountId) });
  });

  router.post('/channels', requirePermission('notifications:manage'), async (req, res) => {
    const body = parse(NewChannel, req.body, 'body');
    res.status(201).json({ data: await addChannel(deps, principalOf(res).accountId, body) });
  });

  router.patch('/channels/:id', requirePermission('notifications:manage'), async (req, res) => {
    const { id } = parse(IdParams, req.params, 'path');
    const body = parse(ChannelChange, req.body, 'body');
    res.json({ data: await changeChannel(deps, principalOf(res).accountId, id, body) });
  });

  router.delete('/channels/:id', requirePermission('notifications:manage'), async (req, res) => {
    const { id } = parse(IdParams, req.params, 'path');
    await removeChannel(deps, principalOf(res).accountId, id);
    res.status(204).end();
  });

  router.post('/channels/:id/test', requirePermission('notifications:manage'), async (req, res) => {
    const { id } = parse(IdParams, req.params, 'path');
    res.status(202).json({ data: await sendTest(deps, principalOf(res).accountId, id) });
  });

  router.get('/deliveries', requirePermission('notifications:read'), async (req, res) => {
    const q = parse(DeliveriesQuery, req.query, 'query');
    const { items, total } = await listDeliveryViews(deps, principalOf(res).accountId, q);
    res.json({ data: items, meta: { page: q.page, pageSize: q.pageSize, total } });
  });

  return router;
}
