/**
 * The Logs page in Chromium: sync runs filtered by status and trigger, the record history filtered by
 * kind, and both exported (the CSV file downloaded as a person would, its rows checked).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { randomBytes } from 'node:crypto';
import { createUser } from '../../services/accounts';
import { startStack, type Stack } from '../helpers/stack';
import { syncNowAndWait, waitFor, waitForIdlePulls, waitForSyncState } from '../helpers/sync';
import { assertClean, assertControlsNamed, launchBrowser, logIn, menu, openPage, type PageWatch, screenshot } from './helpers';

describe('Logs page in the browser', function () {
  this.timeout(240_000);
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let watch: PageWatch;
  const admin = { email: `logs-${randomBytes(3).toString('hex')}@test.example`, password: 'logs-password-1', name: 'Lena Logs' };

  before(async () => {
    stack = await startStack({ twoWay: true });
    await createUser(stack.env.db, { accountId: stack.accountId, role: 'administrator', ...admin });
    // A pushed record, a refused push, a completed manual pull and a failed one: something for each filter.
    const org = await stack.admin.post('/api/v1/organizations', { name: 'Logs Pushed Ltd', type: 'Client', status: 'Active' });
    await waitForSyncState(stack.admin, 'organizations', org.body.data.id, 'synced');
    await stack.simAdmin.put('/_sim/faults', { rules: [{ route: 'POST /v2/crm/accounts', mode: 'problem-details', count: 1 }] });
    const refused = await stack.admin.post('/api/v1/organizations', { name: 'Refused Ltd', type: 'Client', status: 'Active' });
    await waitForSyncState(stack.admin, 'organizations', refused.body.data.id, 'failed');
    await syncNowAndWait(stack.admin);
    await stack.simAdmin.put('/_sim/faults', { rules: [{ route: 'GET /v2/crm/accounts/summary', mode: 'unauthorized' }] });
    await stack.admin.post('/api/v1/integrations/kaseya-bms/sync');
    await waitFor(
      async () => (await stack.admin.get('/api/v1/integrations/kaseya-bms/runs?status=failed')).body.meta.total > 0,
      { timeoutMs: 60_000, what: 'a failed pull' },
    );
    await waitForIdlePulls(stack.admin);
    await stack.simAdmin.delete('/_sim/faults');

    browser = await launchBrowser();
    ({ context, page, watch } = await openPage(browser, stack.apiUrl));
    await logIn(page, admin.email, admin.password);
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await stack?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && page) return screenshot(page, `failed-${this.currentTest.title.slice(0, 40).replace(/\W+/g, '-')}`);
  });

  it('filters sync runs by status and trigger, and exports what it shows as CSV', async () => {
    await menu(page, 'Logs');
    const runs = page.getByRole('table', { name: 'Sync runs, newest first' });
    await runs.getByText('Failed').first().waitFor();
    await page.getByLabel('Status').selectOption('failed');
    const filtered = page.getByRole('table', { name: 'Sync runs (filtered), newest first' });
    await filtered.waitFor();
    await page.getByRole('status').filter({ hasText: /^1 run found$/ }).waitFor();
    assert.match(page.url(), /status=failed/);
    assert.equal(await filtered.getByText('Completed').count(), 0);
    assert.match((await filtered.textContent()) ?? '', /refused the credentials/);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export sync runs as CSV' }).click()]);
    assert.match(download.suggestedFilename(), /^sync-runs-.*\.csv$/);
    const csv = await readFile((await download.path())!, 'utf8');
    const lines = csv.trim().split('\r\n');
    assert.equal(lines.length, 2, 'the header and the one failed run');
    assert.match(lines[1]!, /,failed,manual,/);

    await page.getByLabel('Trigger').selectOption('manual');
    await page.getByLabel('Status').selectOption('completed');
    await page.getByRole('status').filter({ hasText: /^1 run found$/ }).waitFor();
    await page.getByLabel('Status').selectOption('');
    await page.getByRole('status').filter({ hasText: /^2 runs found$/ }).waitFor();
    await assertControlsNamed(page);
    await screenshot(page, '20-logs-filtered');
  });

  it('filters the record history by kind and exports it', async () => {
    await page.getByLabel('Kind').selectOption('failure');
    // The filtered answer has arrived when the count says so (the unfiltered list shows the refusal too).
    await page.getByRole('status').filter({ hasText: /^1 entry found$/ }).waitFor();
    const history = page.getByRole('table', { name: 'Record history (filtered), newest first' });
    await history.getByText('Push refused').first().waitFor();
    assert.equal(await history.getByRole('row').count(), 2, 'the header and the refused push');
    await page.getByLabel('Kind').selectOption('push');
    await history.getByText(/^Created in Kaseya BMS as \d+$/).first().waitFor();
    assert.equal(await history.getByText('Push refused').count(), 0);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export record history as JSON' }).click()]);
    assert.match(download.suggestedFilename(), /^record-history-.*\.json$/);
    const json = JSON.parse(await readFile((await download.path())!, 'utf8'));
    assert.ok(json.data.length >= 2 && json.data.every((h: any) => h.kind === 'queued' || h.kind === 'pushed'));
    assert.equal(json.meta.truncated, false);
    await screenshot(page, '21-logs-history');
    assertClean(watch);
  });
});
