/**
 * The Adopt records screen in Chromium against a whole stack: filter and select records that existed
 * before two-way sync, preview what a push would do (create, or link to the BMS account with the same
 * name, with the fields that would change), confirm, and watch each record get pushed. Screenshots go to
 * test-results/screenshots/.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createUser } from '../../services/accounts';
import { startStack, type Stack } from '../helpers/stack';
import { assertClean, assertControlsNamed, launchBrowser, logIn, menu, openPage, type PageWatch, screenshot } from './helpers';

describe('Adopt records in the browser', function () {
  this.timeout(240_000);
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let watch: PageWatch;
  const suffix = randomBytes(3).toString('hex');
  const manager = { email: `mona-${suffix}@test.example`, password: 'mona-password-1', name: 'Mona Manager' };
  const ids: Record<string, string> = {};

  before(async () => {
    stack = await startStack();
    const lookups = (await stack.admin.get('/api/v1/integrations/kaseya-bms/lookups')).body.data;
    const client = lookups.accountTypes.find((t: any) => t.name === 'Client').id;
    for (const [key, body] of Object.entries({
      fresh: { name: 'Browser Fresh Ltd', shortName: 'BFL', type: 'Client', status: 'Active' },
      twin: { name: 'Browser Twin Ltd', shortName: 'TWIN', type: 'Client', status: 'Active' },
      dormant: { name: 'Browser Dormant Ltd', type: 'Client', status: 'Inactive' },
    })) {
      const res = await stack.admin.post('/api/v1/organizations', body);
      assert.equal(res.status, 201);
      ids[key] = res.body.data.id;
    }
    const seeded = await stack.simAdmin.post('/_sim/accounts', { accountName: 'Browser Twin Ltd', accountTypeId: client });
    assert.equal(seeded.status, 201);
    assert.equal((await stack.admin.patch('/api/v1/integrations/kaseya-bms/sync-settings', { twoWayEnabled: true })).status, 200);
    await createUser(stack.env.db, { accountId: stack.accountId, role: 'manager', ...manager });
    browser = await launchBrowser();
    ({ context, page, watch } = await openPage(browser, stack.apiUrl));
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await stack?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && page) return screenshot(page, `failed-adopt-${this.currentTest.title.slice(0, 40).replace(/\W+/g, '-')}`);
  });

  it('filters, selects, previews create vs link with old -> new, confirms and shows each push', async () => {
    await logIn(page, manager.email, manager.password);
    await menu(page, 'Adopt records');
    await page.getByLabel('Origin').selectOption('created');
    await page.getByRole('link', { name: 'Browser Fresh Ltd' }).waitFor();
    assert.equal(await page.getByLabel('Sync state').inputValue(), 'not_pushed');
    await assertControlsNamed(page);
    for (const name of ['Browser Fresh Ltd', 'Browser Twin Ltd', 'Browser Dormant Ltd']) await page.getByLabel(`Select ${name}`).check();
    assert.equal(await page.getByTestId('adopt-selected').textContent(), '3 selected');
    await screenshot(page, '20-adopt-select');

    await page.getByRole('button', { name: 'Preview push' }).click();
    await page.getByTestId(`action-${ids.fresh}`).filter({ hasText: 'Create in Kaseya BMS' }).waitFor({ timeout: 30_000 });
    await page.getByTestId(`action-${ids.twin}`).filter({ hasText: 'Link to existing BMS record' }).waitFor();
    await page.getByTestId(`action-${ids.dormant}`).filter({ hasText: 'Not pushed' }).waitFor();
    const twinRow = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'Browser Twin Ltd' }) });
    assert.match((await twinRow.textContent()) ?? '', /Short name: —\s*→\s*TWIN/);
    await page.getByText("status 'Inactive' is not set to sync").waitFor();
    await assertControlsNamed(page);
    await screenshot(page, '21-adopt-preview');

    await page.getByRole('button', { name: 'Push 2 records to Kaseya BMS' }).click();
    await page.getByTestId(`progress-${ids.fresh}`).filter({ hasText: 'Pushed' }).waitFor({ timeout: 60_000 });
    await page.getByTestId(`progress-${ids.twin}`).filter({ hasText: 'Pushed' }).waitFor({ timeout: 60_000 });
    await page.getByTestId(`progress-${ids.dormant}`).filter({ hasText: 'Not queued' }).waitFor();
    await page.getByTestId('adopt-counts').filter({ hasText: '2 pushed, 0 queued, 0 failed, 1 not queued.' }).waitFor();
    await screenshot(page, '22-adopt-progress');
    const accounts = (await stack.simAdmin.get('/_sim/accounts')).body as Array<{ accountName: string }>;
    assert.equal(accounts.filter((a) => a.accountName === 'Browser Twin Ltd').length, 1, 'linked, not duplicated');
    assertClean(watch);
  });

  it('an editor is not offered adoption, and the screen says why', async () => {
    const editor = { email: `ed-${suffix}@test.example`, password: 'editor-password-1', name: 'Ed Editor' };
    await createUser(stack.env.db, { accountId: stack.accountId, role: 'editor', ...editor });
    const other = await openPage(browser, stack.apiUrl);
    try {
      await logIn(other.page, editor.email, editor.password);
      const nav = other.page.getByRole('navigation', { name: 'Main menu' });
      assert.equal(await nav.getByRole('link', { name: 'Adopt records' }).count(), 0);
      await other.page.goto('/adopt');
      await other.page.getByText('Only administrators and managers can adopt records; your role is Editor.').waitFor();
      assert.equal(await other.page.getByRole('button', { name: 'Preview push' }).count(), 0);
      await screenshot(other.page, '23-adopt-editor');
      assertClean(other.watch);
    } finally {
      await other.context.close();
    }
  });
});
