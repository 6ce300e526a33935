/** /api/v1/problems: every record that needs a person, with its cause and fix; retry one, or all of a kind. */
import { Router } from 'express';
import { listProblems, retryKind, retryRecord } from '../../services/problems';
import type { RecordServiceDeps } from '../../services/records';
import { principalOf, requirePermission } from '../auth';
import type { Principal } from '../../services/accounts';
import { ApiError } from '../errors';
import { ProblemsQuery, RetryAllBody, RetryOneBody } from '../schemas';
import { parse } from '../validate';

/** A retry is a push asked for by a person (R6): API keys never push. */
function person(principal: Principal): Principal {
  if (principal.kind !== 'session') {
    throw new ApiError(403, 'ui_only', 'Retrying a push is for people in the web UI; API writes are never pushed automatically');
  }
  return principal;
}

export function problemRoutes(deps: RecordServiceDeps): Router {
  const router = Router();

  router.get('/', requirePermission('records:read'), async (req, res) => {
    const q = parse(ProblemsQuery, req.query, 'query');
    const { items, counts, nextCursor } = await listProblems(deps, principalOf(res).accountId, {
      kind: q.kind,
      recordType: q.type,
      limit: q.limit,
      cursor: q.cursor,
    });
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    res.json({ data: items, meta: { counts, total, nextCursor } });
  });

  router.post('/retry', requirePermission('problems:retry'), async (req, res) => {
    const body = parse(RetryOneBody, req.body, 'body');
    const result = await retryRecord(deps, person(principalOf(res)), body.recordType, body.recordId);
    res.status(result.queued ? 202 : 200).json({ data: result });
  });

  router.post('/retry-all', requirePermission('problems:retry'), async (req, res) => {
    const body = parse(RetryAllBody, req.body, 'body');
    res.json({ data: await retryKind(deps, person(principalOf(res)), body.kind, body.recordType) });
  });

  return router;
}
