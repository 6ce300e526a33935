/**
 * Kaseya BMS tokens against the simulator: a short-lived token is reused for most of its life, so token
 * requests stay a small share of the traffic and an expired token is never sent; activities that start
 * together on a cold worker log in once per connection, through the rate budget like any request.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { BmsClient, type BmsClientOptions, BmsTokens, refreshMarginMs } from '../../bms/client';
import { RateBudgetBusyError } from '../../bms/errors';
import type { RateBudget } from '../../bms/rate-budget';
import { type ActivityDeps, BmsClients, BmsTokenShelf } from '../../activities/context';
import { createLogger } from '../../lib/logger';
import { outboundPolicyFor, parseAllowList } from '../../lib/outbound';
import { SecretBox } from '../../lib/secrets';
import type { RequestEvent } from '../../simulator/stats';
import { SIM_CREDENTIALS, SIMULATOR_ALLOWED_HOSTS, startStack, type Stack } from '../helpers/stack';

const policy = outboundPolicyFor(parseAllowList(SIMULATOR_ALLOWED_HOSTS));
const TOKEN_ROUTES = ['POST /v2/security/authenticate', 'POST /v2/security/refreshtoken', 'POST /api/token'];

describe('Kaseya BMS tokens', function () {
  this.timeout(120_000);
  let stack: Stack;
  let answers: RequestEvent[];
  let unsubscribe: () => void;

  before(async () => {
    // No worker: the requests counted here are the test's own.
    stack = await startStack({ worker: false });
    answers = [];
    unsubscribe = stack.sim.state.stats.onRequest((event) => answers.push(event));
  });
  after(async () => {
    unsubscribe?.();
    await stack?.stop();
  });
  beforeEach(() => {
    answers.length = 0;
  });
  afterEach(async () => {
    await stack.simAdmin.put('/_sim/config', { tokenTtlSeconds: 900 });
  });

  /** A client of the stack's simulator, as a worker would build it. */
  const simClient = (options: Partial<BmsClientOptions> = {}) =>
    new BmsClient({ connection: { apiUrl: stack.sim.url, v1Url: stack.sim.url, ...SIM_CREDENTIALS }, policy, ...options });

  const tokenCalls = () => answers.filter((a) => TOKEN_ROUTES.includes(a.route ?? '')).length;

  it('refreshes a token a quarter of its life before it ends, at most 60 s before', () => {
    assert.equal(refreshMarginMs(60_000, 60_000), 15_000);
    assert.equal(refreshMarginMs(3_600_000, 60_000), 60_000);
    assert.equal(refreshMarginMs(4_000, 60_000), 1_000);
    assert.equal(refreshMarginMs(-5, 60_000), 0);
  });

  it('keeps token requests at or under 5 % of all requests with short-lived tokens, and never sends an expired one', async () => {
    // A 4 s lifetime with V2 and V1 (each keeps its own token) asked 15 times a second each is the ratio of
    // a 60 s token asked once a second. Requests keep to a timetable, catching up when one took longer.
    const lifetimeSeconds = 4;
    const perSecond = 30;
    await stack.simAdmin.put('/_sim/config', { tokenTtlSeconds: lifetimeSeconds });
    const client = simClient();
    const [account] = (await client.accountsPage({ pageNumber: 1, pageSize: 1 })).items;
    assert.ok(account);
    const start = Date.now();
    const planned = 3 * lifetimeSeconds * perSecond;
    for (let i = 0; i < planned; i++) {
      if (i % 2 === 0) await client.userInfo();
      else await client.v1AccountLocations(account.id);
      const due = start + ((i + 1) * 1000) / perSecond;
      if (due > Date.now()) await sleep(due - Date.now());
    }
    const tokens = tokenCalls();
    assert.ok(tokens >= 4, `the tokens were replaced as they aged (${tokens} token requests)`);
    assert.ok(tokens <= 0.05 * answers.length, `${tokens} of ${answers.length} requests were token requests`);
    const refused = answers.filter((a) => a.status === 401);
    assert.deepEqual(refused, [], 'no request carried an expired token');
  });

  it('logs in once per connection when a cold worker starts many activities at once, through the rate budget', async () => {
    const budgeted: string[] = [];
    const budget: RateBudget = {
      acquire: (_tenant, endpoint) => {
        budgeted.push(endpoint);
        return Promise.resolve();
      },
      backOff: () => Promise.resolve(),
    };
    const deps = {
      db: stack.env.db,
      secrets: new SecretBox(stack.processEnv.SECRET_KEY!),
      budget,
      bmsTimeoutMs: 5_000,
      logger: createLogger('bms-tokens-test', 'silent'),
      bmsTokens: new BmsTokenShelf(),
      outbound: policy,
    } as Partial<ActivityDeps> as ActivityDeps;
    // A worker's pushes and pulls each have their own clients, sharing the tokens.
    const pushClients = new BmsClients(deps);
    const pullClients = new BmsClients(deps);
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const clients = i % 2 === 0 ? pushClients : pullClients;
        await (await clients.forAccount(stack.accountId)).userInfo();
      }),
    );
    assert.equal(answers.filter((a) => a.route === 'GET /v2/security/userinfo').length, 20);
    assert.equal(tokenCalls(), 1, 'one login for 20 activities');
    assert.equal(budgeted.filter((e) => e === 'POST /v2/security/authenticate').length, 1, 'the login drew from the rate budget');
  });

  it('does not fail a caller that joined a login another caller abandoned (its rate-budget wait limit)', async () => {
    // A push may only wait briefly for the budget; a pull sharing its tokens may wait as long as it takes.
    let refuse!: (err: Error) => void;
    let reached!: () => void;
    const loginReachedBudget = new Promise<void>((resolve) => (reached = resolve));
    const impatient: RateBudget = {
      acquire: (_tenant, endpoint) => {
        if (endpoint !== 'POST /v2/security/authenticate') return Promise.resolve();
        reached();
        return new Promise<void>((_, reject) => (refuse = reject));
      },
      backOff: () => Promise.resolve(),
    };
    const tokens = new BmsTokens();
    const push = simClient({ tokens, budget: impatient });
    const pull = simClient({ tokens });
    const pushed = push.userInfo();
    await loginReachedBudget;
    const pulled = pull.userInfo();
    refuse(new RateBudgetBusyError('POST /v2/security/authenticate', 30_000));
    await assert.rejects(pushed, RateBudgetBusyError);
    const info = await pulled;
    assert.equal(typeof info.userId, 'number', 'the pull logged in itself and got its answer');
    assert.equal(tokenCalls(), 1, 'only the login that was sent reached BMS');
  });
});

