/** Waiting on sync outcomes through the API and the simulator, with deadlines (never sleep-and-hope). */
import assert from 'node:assert/strict';
import { GiveUpWaiting, waitFor } from '../../devstack/wait';
import type { HttpClient } from './api-client';

export { waitFor };

/** Waits until the record's sync state is `state`; returns the record. */
export async function waitForSyncState(api: HttpClient, collection: string, id: string, state: string, timeoutMs = 20_000) {
  let last: any;
  try {
    return await waitFor(
      async () => {
        const res = await api.get(`/api/v1/${collection}/${id}`);
        last = res.body;
        return res.status === 200 && res.body.data.sync.state === state ? res.body.data : undefined;
      },
      { timeoutMs, intervalMs: 50, what: `${collection}/${id} to be ${state}` },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(last?.data?.sync ?? last)}`);
  }
}

/** Waits until no pull of the account is running (e.g. the first pull after connecting). */
export async function waitForIdlePulls(api: HttpClient, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    async () => {
      const runs = await api.get('/api/v1/integrations/kaseya-bms/runs?pageSize=5');
      const list = runs.body.data as Array<{ status: string }>;
      return list.length > 0 && list.every((r) => r.status !== 'running');
    },
    { timeoutMs, intervalMs: 100, what: 'pulls to finish' },
  );
}

/** Triggers "Sync now" and waits for the run it started to finish; returns that run. */
export async function syncNowAndWait(api: HttpClient, timeoutMs = 60_000) {
  const before = await api.get('/api/v1/integrations/kaseya-bms/runs?pageSize=200');
  const knownIds = new Set((before.body.data as Array<{ id: string }>).map((r) => r.id));
  const res = await api.post('/api/v1/integrations/kaseya-bms/sync');
  assert.equal(res.status, 202, JSON.stringify(res.body));
  let seen: unknown;
  return waitFor(
    async () => {
      const runs = await api.get('/api/v1/integrations/kaseya-bms/runs?pageSize=20');
      seen = runs.body.data;
      // The oldest run we had not seen is the one this trigger started (runs never overlap).
      const run = (runs.body.data as Array<{ id: string; status: string }>).filter((r) => !knownIds.has(r.id)).at(-1);
      if (run?.status === 'failed') throw new GiveUpWaiting(`pull failed: ${JSON.stringify(run)}`);
      return run && run.status !== 'running' ? run : undefined;
    },
    { timeoutMs, intervalMs: 100, what: 'the pull to finish' },
  ).catch((err: Error) => {
    throw new Error(`${err.message}; runs: ${JSON.stringify(seen)}`);
  }) as Promise<any>;
}

/** Served-request counters of the simulator, by route. */
export async function simRequests(sim: HttpClient): Promise<Record<string, { served: number; rejected429: number; maxInWindow: number }>> {
  const res = await sim.get('/_sim/requests');
  return res.body.byRoute ?? {};
}

export function served(counts: Record<string, { served: number }>, route: string): number {
  return counts[route]?.served ?? 0;
}
