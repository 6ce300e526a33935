import assert from 'node:assert/strict';
import { RateLimiter } from '../../simulator/rate-limit';
import { CREDENTIALS, envelope, request, useSimulator, waitFor } from './helpers';

interface RequestsSnapshot {
  total: number;
  byRoute: Record<string, { served: number; rejected429: number; faulted: number; maxInWindow: number }>;
  recent: { at: string; method: string; route: string | null; path: string; status: number }[];
}

describe('simulator: rate limit', () => {
  describe('RateLimiter (rolling window, exact)', () => {
    it('allows `limit` per rolling window and frees slots as they age out', () => {
      const limiter = new RateLimiter({ limit: 3, windowSeconds: 10 });
      const key = 'GET /x';
      assert.deepEqual(
        [0, 1000, 2000].map((t) => limiter.acquire(key, t).ok),
        [true, true, true],
      );
      const refused = limiter.acquire(key, 5000);
      assert.deepEqual(refused, { ok: false, retryAfterSeconds: 5 }, 'the oldest slot frees at 10000');
      assert.equal(limiter.acquire(key, 9999).ok, false);
      assert.equal(limiter.acquire(key, 10_000).ok, true, 'a request exactly one window old no longer counts');
      assert.equal(limiter.acquire(key, 10_500).ok, false);
      assert.deepEqual(limiter.acquire(key, 10_600), { ok: false, retryAfterSeconds: 1 }, 'rounded up');
      assert.equal(limiter.maxInWindow(key), 3);
      assert.equal(limiter.acquire('GET /other', 10_600).ok, true, 'routes have separate budgets');
    });

    it('keeps maxInWindow while limiting is off', () => {
      const limiter = new RateLimiter(null);
      for (let t = 0; t < 50; t++) assert.equal(limiter.acquire('k', t).ok, true);
      assert.equal(limiter.maxInWindow('k'), 50);
    });
  });

  describe('over HTTP', () => {
    const bms = useSimulator({ rateLimit: { limit: 5, windowSeconds: 2 } });

    it('answers 429 with Retry-After past the limit; maxInWindow never exceeds it', async () => {
      await bms.admin.put('/config', { rateLimit: { limit: 5, windowSeconds: 2 } });
      await bms.admin.delete('/requests');
      const answers = await Promise.all(Array.from({ length: 8 }, () => bms.client.get('/v2/crm/accounts/summary', { PageSize: 1 })));
      const statuses = answers.map((a) => a.status).sort();
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429, 429]);
      const limited = answers.find((a) => a.status === 429)!;
      const retryAfter = Number(limited.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= 2, `Retry-After ${retryAfter}`);
      assert.equal(envelope(limited).success, false);
      assert.match(envelope(limited).error?.message ?? '', /limit/i);

      const other = await bms.client.get('/v2/crm/contacts/summary', { PageSize: 1 });
      assert.equal(other.status, 200, 'another route has its own budget');

      // Keep asking until the window rolls on; every attempt is a real request the limiter judges.
      await waitFor(async () => (await bms.client.get('/v2/crm/accounts/summary', { PageSize: 1 })).status === 200, {
        timeoutMs: 5000,
        intervalMs: 100,
        what: 'a free slot',
      });
      const snapshot = await bms.admin.json<RequestsSnapshot>(bms.admin.get('/requests'));
      const route = snapshot.byRoute['GET /v2/crm/accounts/summary']!;
      assert.ok(route.maxInWindow <= 5, `maxInWindow ${route.maxInWindow}`);
      assert.equal(route.maxInWindow, 5);
      assert.ok(route.rejected429 >= 3);
      assert.equal(route.served, 6, 'rejected requests are not counted as served');
      assert.ok(snapshot.recent.some((r) => r.status === 429 && r.route === 'GET /v2/crm/accounts/summary'));
    });

    it('counts authentication like any other route', async () => {
      await bms.admin.put('/config', { rateLimit: { limit: 2, windowSeconds: 60 } });
      const login = () =>
        request(bms.sim.url, 'POST', '/v2/security/authenticate', {
          form: { GrantType: 'password', UserName: CREDENTIALS.username, Password: CREDENTIALS.password, Tenant: CREDENTIALS.tenant },
        });
      assert.equal((await login()).status, 200);
      assert.equal((await login()).status, 200);
      const third = await login();
      assert.equal(third.status, 429);
      assert.ok(Number(third.headers.get('retry-after')) > 50);
    });

    it('can be switched off and on at runtime', async () => {
      await bms.admin.put('/config', { rateLimit: null });
      const answers = await Promise.all(Array.from({ length: 20 }, () => bms.client.get('/v2/system/accounttypes/lookup')));
      assert.ok(answers.every((a) => a.status === 200));
      const config = await bms.admin.json(bms.admin.get('/config'));
      assert.equal(config.rateLimit, null);
      await bms.admin.put('/config', { rateLimit: { limit: 1, windowSeconds: 60 } });
      assert.equal((await bms.client.get('/v2/system/accounttypes/lookup')).status, 200);
      assert.equal((await bms.client.get('/v2/system/accounttypes/lookup')).status, 429);
    });
  });
});
