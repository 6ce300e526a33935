/**
 * The Problems page in Chromium against the whole stack: the menu entry with its count, records grouped
 * by kind with cause and fix link, a fix link that lands on the field, retry one and retry all of a kind,
 * and a read-only user who sees the list but has nothing to press.
 * Screenshots go to test-results/screenshots/ (30-… to 33-…).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import type { Role } from '../../domain/access';
import { createUser } from '../../services/accounts';
import { startStack, type Stack } from '../helpers/stack';
import { waitForSyncState } from '../helpers/sync';
import type { Page } from 'playwright-core';
import { assertClean, assertControlsNamed, launchBrowser, logIn, openPage, screenshot } from './helpers';

/** The menu's Problems entry (its name carries the count). */
async function openProblems(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: /^Problems/ }).click();
  await page.locator('#page-heading:focus').waitFor();
  await page.getByRole('heading', { level: 1, name: 'Problems' }).waitFor();
}

describe('web UI: Problems', function () {
  this.timeout(240_000);
  let stack: Stack;
  let browser: Browser;
  const ids = { refused: '', contact: '' };

  async function person(role: Role) {
    const user = { email: `${role}-${randomBytes(4).toString('hex')}@test.example`, password: `${role}-password-1`, name: `Pat ${role}` };
    await createUser(stack.env.db, { accountId: stack.accountId, role, ...user });
    return user;
  }

  before(async () => {
    stack = await startStack({ twoWay: true, settings: { contactDefaults: { emailType: 'Work', phoneType: null } } });
    browser = await launchBrowser();
    // A push BMS refuses, a contact without a Work email, an excluded organization.
    await stack.simAdmin.put('/_sim/faults', { rules: [{ route: 'POST /v2/crm/accounts', mode: 'problem-details', count: 1 }] });
    const refused = await stack.admin.post('/api/v1/organizations', { name: 'Refused Widgets Ltd', type: 'Client', status: 'Active' });
    ids.refused = refused.body.data.id;
    await waitForSyncState(stack.admin, 'organizations', ids.refused, 'failed');
    await stack.simAdmin.delete('/_sim/faults');
    const org = (await stack.admin.get('/api/v1/organizations?syncState=synced&pageSize=1')).body.data[0];
    const contact = await stack.admin.post('/api/v1/contacts', {
      organizationId: org.id,
      firstName: 'Hal',
      lastName: 'Homemail',
      emails: [{ value: 'hal@home.example', label: 'Personal', primary: true }],
      phones: [{ value: '555 0110', label: 'Office', primary: true }],
    });
    ids.contact = contact.body.data.id;
    assert.equal(contact.body.data.sync.state, 'failed');
    const inactive = await stack.admin.post('/api/v1/organizations', { name: 'Dormant Holdings', type: 'Client', status: 'Inactive' });
    assert.equal(inactive.body.data.sync.state, 'excluded');
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('lists what needs a person by kind, with the count in the menu; a fix link lands on the field; retry one and all', async () => {
    const admin = await person('administrator');
    const { context, page, watch } = await openPage(browser, stack.apiUrl);
    try {
      await logIn(page, admin.email, admin.password);
      const entry = page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: /^Problems/ });
      await entry.getByTestId('problem-count').filter({ hasText: /^\s*3\s/ }).waitFor();
      await entry.click();
      await page.getByRole('heading', { level: 1, name: 'Problems' }).waitFor();
      const failed = page.getByTestId('problems-failed');
      await failed.getByRole('heading', { name: 'Pushes Kaseya BMS refused (1)' }).waitFor();
      await failed.getByText(/^Kaseya BMS refused the push: /).waitFor();
      const missing = page.getByTestId('problems-missing_value');
      await missing.getByText("A contact needs an email of the type 'Work' chosen in Sync Settings to be created in Kaseya BMS").waitFor();
      const excluded = page.getByTestId('problems-excluded');
      await excluded.getByText("Not pushed: status 'Inactive' is not set to sync").waitFor();
      assert.equal(await excluded.getByRole('link', { name: /Sync Settings/ }).getAttribute('href'), '/integration#sync-organizations');
      await assertControlsNamed(page);
      await screenshot(page, '30-problems');

      // The fix link of the contact opens it with the emails field in view and focused.
      await missing.getByRole('link', { name: "Fill in the contact's emails" }).click();
      await page.getByRole('heading', { level: 1, name: /Hal Homemail/ }).waitFor();
      assert.match(page.url(), new RegExp(`/contacts/${ids.contact}#field-emails$`));
      await page.locator('#field-emails:focus, #field-emails :focus').waitFor();
      await screenshot(page, '31-problems-fix-field');

      // Retry the refused organization (BMS takes it now): queued, then it leaves the list.
      await openProblems(page);
      await page.getByRole('button', { name: 'Retry Refused Widgets Ltd' }).click();
      await page.getByTestId('retry-outcome').getByText('Refused Widgets Ltd: queued for push to Kaseya BMS.').waitFor();
      await waitForSyncState(stack.admin, 'organizations', ids.refused, 'synced');
      // Retry all of a kind: the contact still lacks its Work email, so it is counted as not queued and stays.
      await page.getByTestId('problems-missing_value').getByRole('button', { name: 'Retry all 1' }).click();
      await page.getByTestId('retry-outcome').getByText(/^Missing a value Kaseya BMS requires: 0 queued for push, 1 not queued\.$/).waitFor();
      await page.getByTestId('problems-failed').waitFor({ state: 'detached' });
      await page.getByTestId('retry-outcome').getByText(/^Hal Homemail \(contact\): Push to Kaseya BMS failed: A contact needs an email of the type 'Work'/).waitFor();
      await entry.getByTestId('problem-count').filter({ hasText: /^\s*2\s/ }).waitFor();
      await screenshot(page, '32-problems-after-retry');
      assertClean(watch);
    } finally {
      await context.close();
    }
  });

  it('shows a read-only user the list and its fixes, with nothing to retry', async () => {
    const reader = await person('read-only');
    const { context, page, watch } = await openPage(browser, stack.apiUrl);
    try {
      await logIn(page, reader.email, reader.password);
      await openProblems(page);
      await page.getByTestId('problems-missing_value').getByText(/email of the type 'Work'/).waitFor();
      await page.getByText('Only administrators and managers can retry pushes; your role is read-only.').waitFor();
      assert.equal(await page.getByRole('button', { name: /^Retry/ }).count(), 0);
      await screenshot(page, '33-problems-read-only');
      assertClean(watch);
    } finally {
      await context.close();
    }
  });
});
