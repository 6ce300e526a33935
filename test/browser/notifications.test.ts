/**
 * The Notifications screen and the automatic pause on the Integration page, in Chromium against the real
 * stack: an administrator adds a webhook channel (the secret shown once), sends a test and sees it in the
 * delivery log; a sync paused after failed pulls says why; a manager sees the log but no channels.
 * Screenshots: test-results/screenshots/20-*.png.
 */
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createUser } from '../../services/accounts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/receivers';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor, waitForIdlePulls } from '../helpers/sync';
import { assertClean, assertControlsNamed, launchBrowser, logIn, menu, openPage, type PageWatch, screenshot } from './helpers';

describe('notifications in the browser', function () {
  this.timeout(180_000);
  let stack: Stack;
  let hook: WebhookReceiver;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let watch: PageWatch;
  const admin = { email: 'notify-admin@ui.example', name: 'Nadia Admin', password: 'notify-admin-password-1' };

  before(async () => {
    hook = await startWebhookReceiver();
    stack = await startStack();
    await createUser(stack.env.db, { accountId: stack.accountId, role: 'administrator', ...admin });
    browser = await launchBrowser();
    ({ context, page, watch } = await openPage(browser, stack.apiUrl));
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await stack?.stop();
    await hook?.close();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && page) return screenshot(page, `failed-${this.currentTest.title.slice(0, 40).replace(/\W+/g, '-')}`);
  });

  it('an administrator adds a webhook channel, sees its secret once, sends a test and sees it delivered', async () => {
    await logIn(page, admin.email, admin.password);
    await menu(page, 'Notifications');
    await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
    await page.getByText('No channels yet').waitFor();
    await page.getByLabel('Name').fill('Ops on-call');
    await page.getByLabel('Webhook address').fill('https://10.0.0.5/hook');
    await page.getByRole('button', { name: 'Add channel' }).click();
    await page.getByRole('alert').filter({ hasText: 'url:' }).waitFor();
    assert.equal(await page.getByLabel('Webhook address').getAttribute('aria-invalid'), 'true', 'the refused field is marked');

    await page.getByLabel('Webhook address').fill(hook.url);
    await page.getByRole('button', { name: 'Add channel' }).click();
    const secret = (await page.getByTestId('channel-secret').textContent())!;
    assert.match(secret, /^whsec_/);
    hook.secret = secret;
    await page.getByTestId('channels').getByRole('cell', { name: 'Ops on-call', exact: true }).waitFor();

    await page.getByRole('button', { name: 'Send test to Ops on-call' }).click();
    await waitFor(() => hook.received.length === 1, { timeoutMs: 20_000, what: 'the test webhook' });
    assert.equal(hook.received[0]!.verified, true);
    await page.getByTestId('deliveries').getByText('Delivered').waitFor();
    const row = page.getByTestId('deliveries').getByRole('row', { name: /Test notification/ });
    assert.match((await row.textContent())!, /Ops on-call.*Test notification.*Delivered.*1.*200/);
    await assertControlsNamed(page);
    assertClean(watch);
    await screenshot(page, '20-notifications');
  });

  it('the Integration page says why the sync paused itself, and saving the fixed connection resumes it', async () => {
    await stack.simAdmin.put('/_sim/credentials', { password: 'changed-in-bms' });
    for (let i = 0; i < 3; i++) {
      const res = await stack.admin.post('/api/v1/integrations/kaseya-bms/sync');
      assert.equal(res.status, 202, JSON.stringify(res.body));
      await waitFor(async () => {
        const runs = (await stack.admin.get('/api/v1/integrations/kaseya-bms/runs?pageSize=10')).body.data as any[];
        return runs.filter((r) => r.status === 'failed').length === i + 1 && runs.every((r) => r.status !== 'running');
      }, { timeoutMs: 30_000, what: `failed pull ${i + 1}` });
    }
    await waitFor(async () => (await stack.admin.get('/api/v1/integrations/kaseya-bms')).body.data.pausedAutomatically === true, {
      timeoutMs: 20_000,
      what: 'the automatic pause',
    });
    await menu(page, 'Integration');
    const reason = page.getByTestId('pause-reason');
    await reason.waitFor();
    assert.match((await reason.textContent())!, /^Paused automatically after 3 consecutive failed pulls \(BmsAuthError\)/);
    assert.equal(await page.getByRole('button', { name: 'Sync now' }).isDisabled(), true);
    await screenshot(page, '21-integration-paused-automatically');

    await page.locator('#bms-password').fill('changed-in-bms');
    await page.getByRole('button', { name: 'Test and save connection' }).click();
    await page.getByText('Connection tested and saved').waitFor();
    await reason.waitFor({ state: 'detached' });
    assert.equal(await page.getByRole('button', { name: 'Sync now' }).isDisabled(), false);
    await waitForIdlePulls(stack.admin);

    await menu(page, 'Notifications');
    await page.getByTestId('deliveries').getByText('Sync paused automatically').waitFor();
    await page.getByTestId('deliveries').getByText('Kaseya BMS connection failed').waitFor();
    await screenshot(page, '22-notifications-delivery-log');
    assertClean(watch);
  });

  it('a manager reads the delivery log but sees no channels; an editor has no Notifications menu', async () => {
    for (const [role, email] of [['manager', 'notify-manager@ui.example'], ['editor', 'notify-editor@ui.example']] as const) {
      await createUser(stack.env.db, { accountId: stack.accountId, role, email, name: `Notify ${role}`, password: 'notify-user-password-1' });
    }
    const other = await openPage(browser, stack.apiUrl);
    try {
      await logIn(other.page, 'notify-manager@ui.example', 'notify-user-password-1');
      await menu(other.page, 'Notifications');
      await other.page.getByText('Channels are set by administrators.').waitFor();
      await other.page.getByTestId('deliveries').getByText('Sync paused automatically').waitFor();
      assert.equal(await other.page.getByTestId('channels').count(), 0);
      await screenshot(other.page, '23-notifications-manager');
      assertClean(other.watch);
    } finally {
      await other.context.close();
    }
    const editor = await openPage(browser, stack.apiUrl);
    try {
      await logIn(editor.page, 'notify-editor@ui.example', 'notify-user-password-1');
      assert.equal(await editor.page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Notifications' }).count(), 0);
    } finally {
      await editor.context.close();
    }
  });
});
