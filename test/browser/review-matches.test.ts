/**
 * The "Review matches" page in Chromium: a BMS tenant with five accounts named slightly differently from
 * the documentation's organizations, held for review; suggestions with their reasons; match, create and
 * exclude (bulk) from the page; the excluded and resolved tabs; the Sync Settings choice; a read-only user
 * sees the list without actions. Screenshots: test-results/screenshots/2x-review-*.png.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createUser } from '../../services/accounts';
import { SIM_CREDENTIALS, startStack, type Stack } from '../helpers/stack';
import { syncNowAndWait } from '../helpers/sync';
import { assertClean, assertControlsNamed, launchBrowser, logIn, menu, openPage, type PageWatch, screenshot } from './helpers';

const PAIRS: Array<[doc: string, bms: string]> = [
  ['ACME, Inc', 'Acme Inc.'],
  ['Globex Corporation', 'Globex'],
  ['Initech LLC', 'Initech'],
  ['Umbrella', 'Umbrella Corp'],
  ['Soylent', 'Soylent GmbH'],
];

describe('web UI: review matches', function () {
  this.timeout(240_000);
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let watch: PageWatch;
  const suffix = randomBytes(3).toString('hex');
  const admin = { email: `mia-${suffix}@test.example`, password: 'mia-password-1', name: 'Mia Manager' };
  const reader = { email: `rex-${suffix}@test.example`, password: 'rex-password-1', name: 'Rex Reader' };

  before(async () => {
    stack = await startStack({ simulator: { seed: 'none' }, settings: { organizations: { unmatched: 'hold' } } });
    await createUser(stack.env.db, { accountId: stack.accountId, role: 'manager', ...admin });
    await createUser(stack.env.db, { accountId: stack.accountId, role: 'read-only', ...reader });
    for (const [doc, bms] of PAIRS) {
      assert.equal((await stack.admin.post('/api/v1/organizations', { name: doc })).status, 201);
      assert.equal((await stack.simAdmin.post('/_sim/accounts', { accountName: bms, accountTypeId: 1, isActive: true })).status, 201);
    }
    await syncNowAndWait(stack.admin);
    browser = await launchBrowser();
    ({ context, page, watch } = await openPage(browser, stack.apiUrl));
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await stack?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && page) return screenshot(page, `failed-${this.currentTest.title.slice(0, 40).replace(/\W+/g, '-')}`);
  });

  const row = (name: string) => page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) }) });

  it('lists the held BMS accounts with the right top suggestion and why', async () => {
    await logIn(page, admin.email, admin.password);
    await menu(page, 'Review matches');
    await page.getByRole('heading', { name: /Kaseya BMS organizations held for review \(5\)/ }).waitFor();
    for (const [doc, bms] of PAIRS) {
      const first = row(bms).locator('ol.suggestions li').first();
      assert.match((await first.textContent()) ?? '', new RegExp(`^${doc.replace(/[.,]/g, '\\$&')}`), `${bms} → ${doc}`);
    }
    assert.match((await row('Acme Inc.').textContent()) ?? '', /name differs only in punctuation, spacing or case/);
    assert.match((await row('Soylent GmbH').textContent()) ?? '', /company suffix/);
    await assertControlsNamed(page);
    await screenshot(page, '20-review-matches');
  });

  it('matches one, creates one, and excludes two selected in bulk', async () => {
    await row('Acme Inc.').getByRole('button', { name: 'Match Acme Inc. to ACME, Inc' }).click();
    await page.getByTestId('review-outcome').filter({ hasText: /Matched to Kaseya BMS organization \d+/ }).waitFor();
    await page.getByRole('heading', { name: /held for review \(4\)/ }).waitFor();
    await row('Globex').getByRole('button', { name: 'Create new' }).click();
    await page.getByTestId('review-outcome').filter({ hasText: /Created from Kaseya BMS organization \d+/ }).waitFor();
    await page.getByRole('heading', { name: /held for review \(3\)/ }).waitFor();
    await page.getByLabel('Select Initech').check();
    await page.getByLabel('Select Umbrella Corp').check();
    await page.getByRole('group', { name: 'Bulk actions on held records' }).getByRole('button', { name: 'Exclude' }).click();
    await page.getByTestId('review-outcome').filter({ hasText: 'Exclude: 2 of 2 done.' }).waitFor();
    await page.getByRole('heading', { name: /held for review \(1\)/ }).waitFor();
    await screenshot(page, '21-review-after-actions');

    await page.getByRole('link', { name: 'Excluded' }).click();
    await page.getByRole('heading', { name: /organizations excluded \(2\)/ }).waitFor();
    await screenshot(page, '22-review-excluded');
    await row('Initech').getByRole('button', { name: 'Un-exclude' }).click();
    await page.getByRole('heading', { name: /organizations excluded \(1\)/ }).waitFor();

    await page.getByRole('link', { name: 'Matched and created' }).click();
    await page.getByRole('heading', { name: /matched or created \(2\)/ }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Unlink to re-match' }).count(), 2);
    await screenshot(page, '23-review-resolved');
    const acme = (await stack.admin.get('/api/v1/organizations?search=Acme')).body.data[0];
    assert.deepEqual([acme.name, acme.sync.state], ['Acme Inc.', 'synced']);
    assertClean(watch);
  });

  it('Sync Settings offer create or hold per record type', async () => {
    await menu(page, 'Integration');
    const select = page.getByLabel('Organizations', { exact: true }).and(page.locator('select'));
    await select.waitFor();
    assert.equal(await select.inputValue(), 'hold');
    assert.equal(await page.locator('#unmatched-contacts').inputValue(), 'create');
    await page.locator('#unmatched-contacts').scrollIntoViewIfNeeded();
    await screenshot(page, '24-sync-settings-unmatched');
  });

  it('a read-only user sees the review list and its suggestions, without actions', async () => {
    const other = await openPage(browser, stack.apiUrl);
    try {
      await logIn(other.page, reader.email, reader.password);
      await menu(other.page, 'Review matches');
      await other.page.getByRole('heading', { name: /held for review \(2\)/ }).waitFor();
      assert.equal(await other.page.getByRole('button', { name: /^Match|Create new|Exclude/ }).count(), 0);
      assert.ok((await other.page.locator('ol.suggestions li').count()) > 0);
      await screenshot(other.page, '25-review-read-only');
      assertClean(other.watch);
    } finally {
      await other.context.close();
    }
  });

  it('a new connection can hold what matches nothing before its first sync; the new user then sees the held accounts', async () => {
    const other = await stack.otherAccount();
    const newcomer = { email: `nia-${suffix}@test.example`, password: 'nia-password-1', name: 'Nia New' };
    await createUser(stack.env.db, { accountId: other.accountId, role: 'administrator', ...newcomer });
    const fresh = await openPage(browser, stack.apiUrl);
    try {
      const p = fresh.page;
      await logIn(p, newcomer.email, newcomer.password);
      await menu(p, 'Integration');
      await p.getByLabel('API URL', { exact: true }).fill(stack.sim.url);
      await p.getByLabel('Tenant name').fill(SIM_CREDENTIALS.tenant);
      await p.getByLabel('API user name').fill(SIM_CREDENTIALS.username);
      await p.getByLabel('Password').fill(SIM_CREDENTIALS.password);
      await p.getByLabel('When a Kaseya BMS record matches no documentation record').selectOption('hold');
      await assertControlsNamed(p);
      await screenshot(p, '26-connect-hold-choice');
      await p.getByRole('button', { name: 'Test and connect' }).click();
      await p.getByText(/Connection tested and saved/).waitFor();
      await menu(p, 'Review matches');
      // The first sync holds every account that matches nothing (this account has no organizations yet).
      await p.getByRole('heading', { name: /Kaseya BMS organizations held for review \([1-9]\d*\)/ }).waitFor({ timeout: 60_000 });
      await screenshot(p, '27-new-connection-review');
      const settings = (await other.admin.get('/api/v1/integrations/kaseya-bms/sync-settings')).body.data.settings;
      assert.deepEqual([settings.organizations.unmatched, settings.contacts.unmatched, settings.locations.unmatched, settings.configurations.unmatched], ['hold', 'hold', 'hold', 'hold']);
      assert.equal((await other.admin.get('/api/v1/organizations')).body.meta.total, 0, 'nothing was created');
      assertClean(fresh.watch);
    } finally {
      await fresh.context.close();
    }
  });
});
