/** Organization pulls through the real stack: Schedule trigger → pull workflow → activities → simulator. */
import assert from 'node:assert/strict';
import { AccountIdKey } from '../../workflows/search-attributes';
import { SIM_CREDENTIALS, startStack, type Stack } from '../helpers/stack';
import { pullScheduleId } from '../../workflows/definitions';
import { served, simRequests, syncNowAndWait, waitFor, waitForIdlePulls } from '../helpers/sync';

describe('organization pull', function () {
  this.timeout(120_000);
  let stack: Stack;

  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  async function orgsByName(): Promise<Map<string, any>> {
    const res = await stack.admin.get('/api/v1/organizations?pageSize=200');
    assert.equal(res.status, 200);
    return new Map((res.body.data as any[]).map((o) => [o.name, o]));
  }

  it('pulls the BMS accounts whose type and status sync into organizations', async () => {
    const run = await syncNowAndWait(stack.admin);
    assert.equal(run.status, 'completed');
    const accounts = (await stack.simAdmin.get('/_sim/accounts')).body as any[];
    const orgs = await orgsByName();
    const active = accounts.filter((a) => a.isActive);
    assert.ok(active.length > 0);
    for (const account of active) {
      const org = orgs.get(account.accountName);
      assert.ok(org, `organization for ${account.accountName}`);
      assert.equal(org.sync.state, 'synced');
      assert.equal(org.sync.bmsId, account.id);
      assert.equal(org.type, account.accountType);
      assert.equal(org.shortName, account.accountCode ?? null);
    }
    for (const account of accounts.filter((a) => !a.isActive)) {
      assert.equal(orgs.has(account.accountName), false, `inactive ${account.accountName} is not pulled (status not selected)`);
    }
  });

  it('picks up an account changed in BMS on the next Sync now', async () => {
    const accounts = (await stack.simAdmin.get('/_sim/accounts')).body as any[];
    const target = accounts.find((a) => a.isActive)!;
    const res = await stack.simAdmin.patch(`/_sim/accounts/${target.id}`, { accountName: `${target.accountName} (changed in BMS)` });
    assert.equal(res.status, 200);
    await syncNowAndWait(stack.admin);
    const orgs = await orgsByName();
    const org = orgs.get(`${target.accountName} (changed in BMS)`);
    assert.ok(org, 'the renamed organization');
    assert.equal(org.sync.bmsId, target.id);
    const history = await stack.admin.get(`/api/v1/organizations/${org.id}/history`);
    assert.ok((history.body.data as any[]).some((h) => h.kind === 'pulled'));
  });

  it('makes a second pull without changes write nothing and read at most one page', async () => {
    await syncNowAndWait(stack.admin);
    const versionsBefore = new Map([...(await orgsByName()).values()].map((o) => [o.id, o.version]));
    const requestsBefore = await simRequests(stack.simAdmin);
    const run = await syncNowAndWait(stack.admin);
    const requestsAfter = await simRequests(stack.simAdmin);
    const listCalls = served(requestsAfter, 'GET /v2/crm/accounts/summary') - served(requestsBefore, 'GET /v2/crm/accounts/summary');
    assert.ok(listCalls <= 1, `expected at most 1 account list call, saw ${listCalls}`);
    const counts = run.counts.accounts ?? {};
    assert.equal((counts.created ?? 0) + (counts.updated ?? 0) + (counts.linked ?? 0), 0, JSON.stringify(counts));
    const versionsAfter = new Map([...(await orgsByName()).values()].map((o) => [o.id, o.version]));
    assert.deepEqual(versionsAfter, versionsBefore);
  });

  it('runs once more, not twice, when Sync now is pressed while a pull runs', async function () {
    this.timeout(360_000);
    // An account of its own, so every trigger its Schedule ever had is known: the first pull on connect
    // and the two presses below (a press of an earlier test could still sit in another Schedule's buffer).
    const other = await stack.otherAccount();
    const connected = await other.admin.put('/api/v1/integrations/kaseya-bms', { apiUrl: stack.sim.url, v1Url: stack.sim.url, ...SIM_CREDENTIALS });
    assert.equal(connected.status, 200, JSON.stringify(connected.body));
    const schedule = stack.temporal.schedule.getHandle(pullScheduleId(other.accountId));
    let seen: unknown;
    /**
     * Waits until the Schedule has taken or dropped `triggers` actions and every workflow it started has
     * closed (its `runningActions` lags behind, so the workflows themselves are asked).
     */
    const settled = (triggers: number, what: string) =>
      waitFor(
        async () => {
          const info = (await schedule.describe()).info;
          seen = info;
          if (info.numActionsTaken + info.numActionsSkippedOverlap < triggers) return undefined;
          for (const { action } of info.recentActions) {
            const latest = await stack.temporal.workflow.getHandle(action.workflow.workflowId).describe();
            if (latest.status.name === 'RUNNING') return undefined;
          }
          return info;
        },
        { timeoutMs: 150_000, intervalMs: 200, what },
      ).catch((err: Error) => {
        throw new Error(`${err.message}; schedule: ${JSON.stringify(seen)}`);
      });
    await settled(1, 'the first pull');
    await waitForIdlePulls(other.admin);
    const runsOf = async () => (await other.admin.get('/api/v1/integrations/kaseya-bms/runs?pageSize=200')).body.data as any[];
    const known = new Set((await runsOf()).map((r) => r.id));
    assert.equal(known.size, 1);

    // The first list page answers slowly, so the second press surely lands while the pull runs.
    await stack.simAdmin.put('/_sim/faults', { rules: [{ route: 'GET /v2/crm/accounts/summary', mode: 'slow', delayMs: 1500, count: 1 }] });
    assert.equal((await other.admin.post('/api/v1/integrations/kaseya-bms/sync')).status, 202);
    await waitFor(async () => (await runsOf()).some((r) => !known.has(r.id) && r.status === 'running'), {
      timeoutMs: 20_000,
      intervalMs: 50,
      what: 'the pull to start',
    });
    assert.equal((await other.admin.post('/api/v1/integrations/kaseya-bms/sync')).status, 202);

    // Two passes: the pull that was running, and its one continuation for the press it saw.
    const passes = await waitFor(
      async () => {
        const runs = (await runsOf()).filter((r) => !known.has(r.id));
        return runs.length >= 2 && runs.every((r) => r.status !== 'running') ? runs : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'the pull and its continuation' },
    );
    await stack.simAdmin.delete('/_sim/faults');
    assert.deepEqual(
      passes.map((r) => r.status),
      ['completed', 'completed'],
    );
    assert.equal(passes[0].trigger, 'manual', 'the continuation serves the second press');

    // The Schedule starts the press it buffered once that chain has closed (when it notices, which can
    // take a while on a busy server); that run finds the continuation covered it and ends without a pass.
    const info = await settled(3, 'the buffered press');
    assert.equal(info.numActionsSkippedOverlap, 0, 'the second press was buffered, not dropped');
    assert.equal(info.numActionsTaken, 3);
    const buffered = info.recentActions.at(-1)!.action.workflow;
    const summary = await stack.temporal.workflow.getHandle(buffered.workflowId, buffered.firstExecutionRunId).result();
    assert.equal(summary.syncRunId, null);
    assert.match(summary.skipped ?? '', /read everything this one would/);
    const after = (await runsOf()).filter((r) => !known.has(r.id));
    assert.equal(after.length, 2, 'no third pass');
  });

  it("counts the first pull on connect as running: a Sync now pressed during it waits, it does not run beside it", async function () {
    this.timeout(180_000);
    const other = await stack.otherAccount();
    // The first list page answers slowly, so the press surely lands while the first pull runs.
    await stack.simAdmin.put('/_sim/faults', { rules: [{ route: 'GET /v2/crm/accounts/summary', mode: 'slow', delayMs: 3000, count: 1 }] });
    try {
      const connected = await other.admin.put('/api/v1/integrations/kaseya-bms', { apiUrl: stack.sim.url, v1Url: stack.sim.url, ...SIM_CREDENTIALS });
      assert.equal(connected.status, 200, JSON.stringify(connected.body));
      const schedule = stack.temporal.schedule.getHandle(pullScheduleId(other.accountId));
      // The Schedule itself knows its first pull is running (it did not when that pull was the create
      // request's triggerImmediately, which the SDK sends as ALLOW_ALL).
      const first = await waitFor(async () => (await schedule.describe()).info.runningActions[0]?.workflow, {
        timeoutMs: 20_000,
        intervalMs: 50,
        what: "the first pull among the Schedule's running actions",
      });
      assert.equal((await other.admin.post('/api/v1/integrations/kaseya-bms/sync')).status, 202);
      // Every run the Schedule's actions made (the first pull, the press, what they continued as) has
      // closed; one after the other, none beside another.
      const runs = await waitFor(
        async () => {
          const info = (await schedule.describe()).info;
          if (info.numActionsTaken < 2) return undefined;
          const ids = [...new Set(info.recentActions.map(({ action }) => action.workflow.workflowId))];
          const all = [];
          for (const id of ids) for await (const run of stack.temporal.workflow.list({ query: `WorkflowId = '${id}'` })) all.push(run);
          return all.length >= 2 && all.every((r) => r.closeTime) ? all : undefined;
        },
        { timeoutMs: 150_000, intervalMs: 200, what: 'the first pull and the press to close' },
      );
      runs.sort((x, y) => x.startTime.getTime() - y.startTime.getTime());
      assert.equal(runs[0]!.workflowId, first.workflowId);
      for (let i = 1; i < runs.length; i++) {
        const [before, after] = [runs[i - 1]!, runs[i]!];
        assert.ok(after.startTime >= before.closeTime!, `a run started at ${after.startTime.toISOString()}, before the one started at ${before.startTime.toISOString()} closed at ${before.closeTime!.toISOString()}`);
      }
    } finally {
      await stack.simAdmin.delete('/_sim/faults');
    }
  });

  it('stores a first pull of many pages, several at once: every account once, parents on other pages linked', async function () {
    this.timeout(180_000);
    const seeded = await stack.simAdmin.post('/_sim/seed', { accounts: 450, contactsPerAccount: 0 });
    assert.equal(seeded.status, 200, JSON.stringify(seeded.body));
    const accounts = ((await stack.simAdmin.get('/_sim/accounts')).body as any[]).filter((a) => a.isActive);
    assert.ok(accounts.length > 400);
    // Pages of 100 in id order: a child on the first page whose parent is on the last, and the other way round.
    const [early, late] = [accounts[1], accounts.at(-2)];
    const [earlyParent, lateParent] = [accounts.at(-1), accounts[2]];
    for (const [child, parent] of [[early, earlyParent], [late, lateParent]]) {
      assert.equal((await stack.simAdmin.patch(`/_sim/accounts/${child.id}`, { parentId: parent.id })).status, 200);
    }

    // Another account connecting to this BMS makes a first pull: every page.
    const other = await stack.otherAccount();
    const connected = await other.admin.put('/api/v1/integrations/kaseya-bms', { apiUrl: stack.sim.url, v1Url: stack.sim.url, ...SIM_CREDENTIALS });
    assert.equal(connected.status, 200, JSON.stringify(connected.body));
    await waitForIdlePulls(other.admin, 120_000);
    const runs = (await other.admin.get('/api/v1/integrations/kaseya-bms/runs')).body.data as any[];
    assert.deepEqual(
      runs.map((r) => r.status),
      ['completed'],
    );
    const orgs: any[] = [];
    for (let page = 1; ; page++) {
      const res = await other.admin.get(`/api/v1/organizations?pageSize=200&page=${page}`);
      assert.equal(res.status, 200);
      orgs.push(...res.body.data);
      if (orgs.length >= res.body.meta.total) break;
    }
    const byBmsId = new Map<number, any[]>();
    for (const org of orgs) byBmsId.set(org.sync.bmsId, [...(byBmsId.get(org.sync.bmsId) ?? []), org]);
    for (const account of accounts) {
      assert.equal(byBmsId.get(account.id)?.length, 1, `one organization for BMS account ${account.id}`);
    }
    assert.equal(orgs.length, accounts.length, 'an organization for each active account, nothing else');
    const orgOf = (account: any) => byBmsId.get(account.id)![0];
    assert.equal(orgOf(early).parentId, orgOf(earlyParent).id, 'a parent on a later page');
    assert.equal(orgOf(late).parentId, orgOf(lateParent).id, 'a parent on an earlier page');
  });

  it('shows every pull in Temporal as a run of the account schedule', async () => {
    const runs = await stack.admin.get('/api/v1/integrations/kaseya-bms/runs');
    const run = runs.body.data[0];
    assert.match(run.workflowId, new RegExp(`^bms-pull:${stack.accountId}`));
    const handle = stack.temporal.workflow.getHandle(run.workflowId, run.runId);
    const summary = await handle.result();
    assert.equal(summary.syncRunId, run.id);
    const description = await handle.describe();
    assert.equal(description.status.name, 'COMPLETED');
    assert.equal(description.typedSearchAttributes.get(AccountIdKey), stack.accountId);
  });
});
