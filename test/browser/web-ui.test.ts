/**
 * The web UI, driven in Chromium against a whole stack (API serving the UI, worker, real Temporal and
 * PostgreSQL, the BMS simulator over HTTP): log in, connect Kaseya BMS, change Sync Settings, read-only
 * synced fields in one-way mode, enable two-way sync, the R5 message on a record that existed before,
 * a save that is queued then synced (and lands in the simulator), Sync now picking up a BMS change,
 * a save refused because the record changed meanwhile (what was typed is kept), Manage data, Logs, and
 * what a read-only user or a Basic-plan account cannot do.
 * Screenshots of the main screens go to test-results/screenshots/.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { MESSAGE_NOT_YET_PUSHED, MESSAGE_QUEUED } from '../../domain/sync-state';
import type { Role } from '../../domain/access';
import { createUser } from '../../services/accounts';
import type { HttpClient } from '../helpers/api-client';
import { SIM_CREDENTIALS, startStack, type Stack } from '../helpers/stack';
import { syncNowAndWait, waitFor, waitForIdlePulls } from '../helpers/sync';
import {
  apiAs,
  assertClean,
  assertControlsNamed,
  launchBrowser,
  logIn,
  menu,
  openPage,
  type PageWatch,
  screenshot,
  sessionToken,
  waitForExactText,
} from './helpers';

const SETTINGS = '/api/v1/integrations/kaseya-bms/sync-settings';

describe('web UI in the browser', function () {
  this.timeout(240_000);

  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let watch: PageWatch;
  let api: HttpClient;
  const suffix = randomBytes(3).toString('hex');
  const admin = { email: `ada-${suffix}@test.example`, password: 'ada-password-1', name: 'Ada Admin' };

  async function newUser(role: Role, accountId = stack.accountId) {
    const user = { email: `${role}-${randomBytes(4).toString('hex')}@test.example`, password: `${role}-password-1`, name: `Rita ${role}` };
    await createUser(stack.env.db, { accountId, role, ...user });
    return user;
  }

  async function openRecord(collection: string, name: string) {
    await menu(page, collection.charAt(0).toUpperCase() + collection.slice(1));
    await page.getByLabel(`Search ${collection}`).fill(name);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('link', { name, exact: true }).click();
    await page.getByRole('heading', { level: 1, name }).waitFor();
  }

  async function firstSynced(collection: string): Promise<any> {
    const res = await api.get(`/api/v1/${collection}?syncState=synced&pageSize=50`);
    // Not the records this file made itself (they are used by name later), and of a type that still syncs
    // after the Sync Settings test (Prospect no longer does).
    const found = (res.body.data as any[]).find(
      (r) => r.sync.bmsId && r.name && !/^UI |[<>]/.test(r.name) && (r.recordType !== 'organization' || r.type === 'Client'),
    );
    assert.ok(found, `a synced ${collection} record`);
    return found;
  }

  before(async () => {
    stack = await startStack({ connect: false });
    await createUser(stack.env.db, { accountId: stack.accountId, role: 'administrator', ...admin });
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

  it('serves the UI with a strict Content-Security-Policy and an SPA fallback', async () => {
    const res = await stack.anonymous.call('GET', '/organizations/some-id', undefined, { accept: 'text/html' });
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /text\/html/);
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.doesNotMatch(String(res.body), /<script>|<style>|style=/, 'no inline script or style');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    const unknown = await stack.admin.get('/api/v1/nothing-here');
    assert.equal(unknown.status, 404, 'unknown API paths stay JSON 404s');
    assert.equal(unknown.body.error.code, 'not_found');
    assert.equal((await stack.anonymous.get('/assets/missing.js')).status, 404, 'missing assets are not answered with the page');
  });

  it('logs in (keyboard only) and shows the account, the user and their role; the session is in sessionStorage', async () => {
    await page.goto('/integration');
    await page.waitForURL(/\/login\?next=%2Fintegration$/);
    await assertControlsNamed(page);
    await screenshot(page, '01-login');
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Email or password is wrong' }).waitFor();

    await logIn(page, admin.email, admin.password);
    const banner = page.getByRole('banner');
    await banner.getByText(`Test MSP`).waitFor();
    assert.equal(await page.getByTestId('user-name').textContent(), admin.name);
    assert.equal(await page.getByTestId('user-role').textContent(), 'Administrator');
    assert.match((await banner.textContent()) ?? '', /Enterprise plan/);
    assert.deepEqual(await context.cookies(), [], 'no cookies: the token is sent as a header');
    api = await apiAs(page, stack.apiUrl);

    // The skip link is the first stop of the keyboard and moves focus to the page.
    await page.reload();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.locator(':focus').textContent(), 'Skip to main content');
    await page.keyboard.press('Enter');
    await page.locator('main#main:focus').waitFor();
    await screenshot(page, '02-overview-not-connected');
  });

  it('connects Kaseya BMS: the connection is tested, a refusal shows the BMS message, the password is write-only', async () => {
    await menu(page, 'Integration');
    await page.getByText('Not connected.').waitFor();
    await page.getByLabel('API URL', { exact: true }).fill(stack.sim.url);
    await page.getByLabel('V1 API URL (optional)').fill(stack.sim.url);
    await page.getByLabel('Tenant name').fill(SIM_CREDENTIALS.tenant);
    await page.getByLabel('API user name').fill(SIM_CREDENTIALS.username);
    await page.getByLabel('Password', { exact: true }).fill('wrong-password');
    await page.getByRole('button', { name: 'Test and connect' }).click();
    await page.getByRole('alert').filter({ hasText: 'Could not connect to Kaseya BMS' }).waitFor();
    assert.equal(await page.getByLabel('Password', { exact: true }).getAttribute('aria-invalid'), 'true');
    assert.equal((await api.get('/api/v1/integrations/kaseya-bms')).body.data.connected, false, 'nothing stored');

    await page.getByLabel('Password', { exact: true }).fill(SIM_CREDENTIALS.password);
    await page.getByRole('button', { name: 'Test and connect' }).click();
    await page.getByText('Connection tested and saved').waitFor();
    assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '', 'the password is not shown again');
    const stored = (await api.get('/api/v1/integrations/kaseya-bms')).body.data;
    assert.equal(stored.connected, true);
    assert.equal(stored.password, undefined);
    await page.getByRole('heading', { name: 'Sync Settings' }).waitFor();
    // Connecting starts the first pull; the page follows it.
    await waitForIdlePulls(api);
    await page.getByTestId('current-run').getByText('Completed').waitFor({ timeout: 30_000 });
    await assertControlsNamed(page);
    await screenshot(page, '03-integration');
  });

  it('changes Sync Settings with the types from Kaseya BMS and the pull interval', async () => {
    const lookups = (await api.get('/api/v1/integrations/kaseya-bms/lookups')).body.data;
    const prospect = lookups.accountTypes.find((t: any) => t.name === 'Prospect');
    const group = page.getByRole('group', { name: 'Account types to sync' });
    assert.equal(await group.getByRole('checkbox').count(), lookups.accountTypes.length, 'one checkbox per BMS account type');
    await group.getByLabel('Prospect', { exact: true }).uncheck();
    await page.getByRole('group', { name: 'Configurations', exact: true }).getByLabel('Inactive', { exact: true }).check();
    await page.getByLabel('Pull interval (minutes)').fill('30');
    await page.getByLabel('Email type for contacts pushed to Kaseya BMS').selectOption({ index: 1 });
    await page.getByRole('button', { name: 'Save Sync Settings' }).click();
    await page.getByText('Sync Settings saved').waitFor();

    const settings = (await api.get(SETTINGS)).body.data.settings;
    assert.equal(settings.pull.intervalMinutes, 30);
    assert.ok(!settings.organizations.types.includes(prospect.id), 'Prospect no longer syncs');
    assert.deepEqual([...settings.configurations.statuses].sort(), ['Active', 'Inactive']);
    assert.ok(settings.contactDefaults.emailType);

    // A refused value names the problem and is not stored.
    await page.getByLabel('Cron expression (optional)').fill('every day');
    await page.getByRole('button', { name: 'Save Sync Settings' }).click();
    await page.getByRole('alert').filter({ hasText: 'cron' }).waitFor();
    assert.equal(await page.getByLabel('Cron expression (optional)').getAttribute('aria-invalid'), 'true');
    assert.equal((await api.get(SETTINGS)).body.data.settings.pull.cron, null);
    await page.getByLabel('Cron expression (optional)').fill('');

    await page.reload();
    await page.getByRole('heading', { name: 'Sync Settings' }).waitFor();
    assert.equal(await page.getByLabel('Pull interval (minutes)').inputValue(), '30', 'kept after a reload');
    await screenshot(page, '04-sync-settings');
  });

  it('one-way mode: synced fields of a synced record are read-only, documentation-only fields stay editable', async () => {
    const org = await firstSynced('organizations');
    await openRecord('organizations', org.name);
    await page.getByText('Two-way sync is off, so the fields synced with Kaseya BMS are read-only').waitFor();
    assert.equal(await page.getByLabel('Name', { exact: true }).isEditable(), false);
    assert.equal(await page.getByLabel('Short name').isEditable(), false);
    assert.equal(await page.getByLabel('Name', { exact: true }).getAttribute('aria-describedby'), 'hint-name');
    assert.match((await page.locator('#hint-name').textContent()) ?? '', /read-only while two-way sync is off/);
    assert.equal(await page.getByLabel('Description').isEditable(), true);
    await waitForExactText(page, 'sync-message', 'Synced with Kaseya BMS');

    await page.getByLabel('Description').fill('Documented in bms-docsync');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved description.').waitFor();
    assert.equal((await api.get(`/api/v1/organizations/${org.id}`)).body.data.description, 'Documented in bms-docsync');
    await page.getByTestId('history').getByText(`Updated by ${admin.name}`).waitFor();
    await assertControlsNamed(page);
    await screenshot(page, '06-organization-one-way');
  });

  it('creates a record in one-way mode: it stays local and says so', async () => {
    await menu(page, 'Organizations');
    await page.getByRole('status').filter({ hasText: /organizations? found/ }).waitFor();
    await screenshot(page, '05-organizations');
    await page.getByRole('link', { name: 'New organization' }).click();
    await page.getByRole('heading', { name: 'New organization' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('UI Existing Ltd');
    await page.getByLabel('Type', { exact: true }).fill('Client');
    await page.getByLabel('Status', { exact: true }).fill('Active');
    await page.getByRole('button', { name: 'Create organization' }).click();
    await page.getByRole('heading', { level: 1, name: 'UI Existing Ltd' }).waitFor();
    await waitForExactText(page, 'sync-message', 'Not synced with Kaseya BMS: two-way sync is off.');
    assert.equal(await page.getByLabel('Name', { exact: true }).isEditable(), true, 'a record not linked to BMS is editable');
  });

  it('a save based on a record someone changed meanwhile says so, keeps what was typed, and saves after a reload', async () => {
    const name = `UI Conflict ${suffix}`;
    const created = (await api.post('/api/v1/organizations', { name })).body.data;
    await openRecord('organizations', name);
    await page.getByLabel('Description').fill('Typed in the browser');
    const meanwhile = await api.patch(`/api/v1/organizations/${created.id}`, { quickNotes: 'Saved by someone else' });
    assert.equal(meanwhile.status, 200);

    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const conflict = page.getByRole('alert').filter({ hasText: 'changed by someone else since you opened it' });
    await conflict.waitFor();
    await screenshot(page, '06b-record-version-conflict');
    assert.equal(await page.getByLabel('Description').inputValue(), 'Typed in the browser', 'what was typed is kept');
    const untouched = (await api.get(`/api/v1/organizations/${created.id}`)).body.data;
    assert.equal(untouched.description, null, 'nothing saved over the other change');
    assert.equal(untouched.quickNotes, 'Saved by someone else');

    await page.getByRole('button', { name: 'Reload the current version' }).click();
    await conflict.waitFor({ state: 'detached' });
    assert.equal(await page.getByLabel('Quick notes').inputValue(), 'Saved by someone else', 'the other change is shown');
    assert.equal(await page.getByLabel('Description').inputValue(), 'Typed in the browser', 'with what was typed on top');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved description.').waitFor();
    const saved = (await api.get(`/api/v1/organizations/${created.id}`)).body.data;
    assert.equal(saved.description, 'Typed in the browser');
    assert.equal(saved.quickNotes, 'Saved by someone else', 'both changes are kept');
  });

  it('enables two-way sync with the checkbox (off by default)', async () => {
    await menu(page, 'Integration');
    const box = page.getByLabel('Enable two-way sync');
    assert.equal(await box.isChecked(), false, 'off by default');
    assert.equal(await box.isEnabled(), true);
    await box.check();
    await page.getByText('Two-way sync is on.').waitFor();
    assert.equal((await api.get(SETTINGS)).body.data.twoWayEnabled, true);
    await screenshot(page, '07-two-way-enabled');
  });

  it('shows the R5 message on a record that existed before; a save queues it, then it is synced and in Kaseya BMS', async () => {
    await openRecord('organizations', 'UI Existing Ltd');
    await waitForExactText(page, 'sync-message', MESSAGE_NOT_YET_PUSHED);
    await screenshot(page, '08-record-not-yet-pushed');
    const created = (await api.get('/api/v1/organizations?search=UI%20Existing%20Ltd')).body.data[0];
    assert.equal(created.sync.bmsId, null, 'nothing pushed by turning two-way on');

    await page.getByLabel('Short name').fill('UIEX');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await waitForExactText(page, 'sync-message', MESSAGE_QUEUED);
    await waitForExactText(page, 'sync-message', 'Synced with Kaseya BMS', 30_000);
    const bmsId = Number(await page.getByTestId('bms-id').textContent());
    assert.ok(bmsId > 0, 'the BMS id is shown');
    const inBms = (await stack.simAdmin.get(`/_sim/accounts/${bmsId}`)).body;
    assert.equal(inBms.accountName, 'UI Existing Ltd');
    assert.equal(inBms.accountCode, 'UIEX');
    const history = page.getByTestId('history');
    await history.getByText('Queued for push to Kaseya BMS').waitFor();
    await history.getByText('Pushed', { exact: true }).first().waitFor();

    // A second edit of a now-synced record goes to BMS too.
    await page.getByLabel('Short name').fill('UIEX2');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await waitForExactText(page, 'sync-message', 'Synced with Kaseya BMS', 30_000);
    await waitFor(async () => (await stack.simAdmin.get(`/_sim/accounts/${bmsId}`)).body.accountCode === 'UIEX2', {
      timeoutMs: 20_000,
      what: 'the second change in BMS',
    });
    await waitForExactText(page, 'sync-message', 'Synced with Kaseya BMS', 30_000);
    await assertControlsNamed(page);
    await screenshot(page, '09-record-synced');
  });

  it('Sync now picks up a change made in Kaseya BMS, with the run shown live', async () => {
    const org = await firstSynced('organizations');
    const renamed = `Renamed in BMS ${suffix}`;
    const patched = await stack.simAdmin.patch(`/_sim/accounts/${org.sync.bmsId}`, { accountName: renamed });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));

    await menu(page, 'Integration');
    await page.getByRole('button', { name: 'Sync now' }).click();
    await page.getByTestId('sync-progress').filter({ hasText: /Sync completed/ }).waitFor({ timeout: 60_000 });
    await screenshot(page, '10-sync-now');
    await openRecord('organizations', renamed);
    assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), renamed);
    await page.getByTestId('history').getByText(/Updated from Kaseya BMS: name/).waitFor();
  });

  it('shows user data as text, never as HTML', async () => {
    const evil = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script> ${suffix}`;
    const res = await api.post('/api/v1/organizations', { name: evil, type: 'Prospect', status: 'Active' });
    assert.equal(res.status, 201);
    await menu(page, 'Organizations');
    await page.getByLabel('Search organizations').fill(suffix);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('link', { name: evil, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: evil }).waitFor();
    assert.equal(await page.evaluate('window.__xss'), undefined);
    assert.equal(await page.locator('main img').count(), 0);
    // Its type no longer syncs (Sync Settings above), so it was not queued, and it says why (R7).
    await page.getByTestId('sync-message').filter({ hasText: "type 'Prospect' is not set to sync" }).waitFor();
  });

  it('Manage data: orphans are listed and can be disconnected in bulk', async () => {
    const org = await firstSynced('organizations');
    await stack.simAdmin.patch(`/_sim/accounts/${org.sync.bmsId}`, { isActive: false });
    await syncNowAndWait(api);
    await waitFor(async () => (await api.get(`/api/v1/organizations/${org.id}`)).body.data.sync.state === 'orphaned', {
      timeoutMs: 20_000,
      what: 'the organization to be orphaned',
    });

    await menu(page, 'Manage data');
    await page.getByRole('link', { name: /^Orphaned data/ }).click();
    await page.getByRole('heading', { name: 'Orphaned data: organizations' }).waitFor();
    await page.getByRole('checkbox', { name: `Select ${org.name}` }).check();
    await assertControlsNamed(page);
    await screenshot(page, '11-manage-data');
    await page.getByRole('button', { name: 'Disable sync' }).click();
    await page.getByTestId('bulk-outcome').getByText('Disable sync: 1 of 1 record done.').waitFor();
    assert.equal((await api.get(`/api/v1/organizations/${org.id}`)).body.data.sync.state, 'disabled');

    await page.getByRole('link', { name: /^Disconnected data/ }).click();
    await page.getByRole('heading', { name: 'Disconnected data: organizations' }).waitFor();
    await page.getByRole('link', { name: org.name, exact: true }).waitFor();
  });

  it('Logs: sync runs with their counts, and one run with its log', async () => {
    await menu(page, 'Logs');
    const table = page.getByRole('table', { name: 'Sync runs, newest first' });
    await table.getByText('Completed').first().waitFor();
    assert.ok((await table.getByRole('row').count()) >= 3, 'header and at least two runs');
    assert.match((await table.textContent()) ?? '', /\d+ seen/);
    await screenshot(page, '12-logs');
    await table.getByRole('link').first().click();
    await page.getByRole('heading', { level: 1, name: /^Sync run of / }).waitFor();
    await page.getByRole('table', { name: 'Counts by type' }).waitFor();
    await page.getByRole('link', { name: /This run in the Temporal Web UI/ }).waitFor();
    await screenshot(page, '13-run');
  });

  it('contacts show their organization by name, with emails and phones as lists; the overview sums it up', async () => {
    await menu(page, 'Contacts');
    const table = page.getByRole('table', { name: 'Contacts' });
    await table.getByRole('row').nth(1).waitFor();
    const contact = (await api.get('/api/v1/contacts?syncState=synced&pageSize=1')).body.data[0];
    const org = (await api.get(`/api/v1/organizations/${contact.organizationId}`)).body.data;
    await table.getByRole('link', { name: org.name, exact: true }).first().waitFor();
    await screenshot(page, '15-contacts');

    await page.getByLabel('Search contacts').fill(contact.firstName);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await table.getByRole('link', { name: [contact.firstName, contact.lastName].filter(Boolean).join(' '), exact: true }).first().click();
    await page.getByRole('heading', { name: 'Kaseya BMS sync' }).waitFor();
    const organization = page.getByLabel('Organization', { exact: true });
    assert.equal(await organization.inputValue(), org.id);
    assert.equal(await organization.locator('option:checked').textContent(), org.name, 'the reference is shown by name');
    const emails = page.getByRole('group', { name: 'Emails' });
    assert.equal(await emails.getByRole('textbox').first().inputValue(), contact.emails[0]?.value ?? '');
    await emails.getByRole('button', { name: 'Add email' }).click();
    await emails.getByLabel(`Email ${contact.emails.length + 1}`, { exact: true }).fill('added@example.test');
    await page.getByText(/^Unsaved changes: Emails$/).waitFor();
    await page.getByRole('button', { name: 'Discard changes' }).click();
    await assertControlsNamed(page);
    await screenshot(page, '16-contact');

    await menu(page, 'Overview');
    await page.getByRole('table', { name: 'The five latest pulls from Kaseya BMS' }).waitFor();
    await page.getByText('Two-way sync is on').waitFor();
    await screenshot(page, '17-overview');
  });

  it('a record links to its workflows in the Temporal Web UI', async () => {
    await openRecord('organizations', 'UI Existing Ltd');
    const link = page.getByRole('link', { name: /Push workflow in the Temporal Web UI/ });
    const href = (await link.getAttribute('href')) ?? '';
    assert.match(href, new RegExp(`^${stack.config.temporal.uiUrl}/namespaces/default/workflows/record-push`));
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
  });

  it('a read-only user cannot change the connection, Sync Settings, two-way sync, or records', async () => {
    const reader = await newUser('read-only');
    const other = await openPage(browser, stack.apiUrl);
    try {
      await logIn(other.page, reader.email, reader.password);
      assert.equal(await other.page.getByTestId('user-role').textContent(), 'Read-only');
      await menu(other.page, 'Integration');
      await other.page.getByRole('heading', { name: 'Sync Settings' }).waitFor();
      assert.equal(await other.page.getByRole('button', { name: 'Test and save connection' }).isDisabled(), true);
      assert.equal(await other.page.getByLabel('Tenant name').isEditable(), false);
      assert.equal(await other.page.getByRole('button', { name: 'Save Sync Settings' }).isDisabled(), true);
      assert.equal(await other.page.getByLabel('Pull interval (minutes)').isEditable(), false);
      const box = other.page.getByLabel('Enable two-way sync');
      assert.equal(await box.isDisabled(), true);
      assert.equal(await box.isChecked(), true, 'shows the account state');
      assert.match((await other.page.getByTestId('two-way-why').textContent()) ?? '', /Only administrators and managers can change this; your role is Read-only/);
      assert.equal(await other.page.getByRole('button', { name: 'Sync now' }).isDisabled(), true);
      assert.equal(await other.page.getByRole('button', { name: /Pause sync/ }).count(), 0);
      await screenshot(other.page, '14-read-only-integration');

      await openRecordAs(other.page, 'UI Existing Ltd');
      assert.equal(await other.page.getByLabel('Description').isEditable(), false);
      assert.equal(await other.page.getByRole('button', { name: 'Save', exact: true }).count(), 0);
      assert.equal(await other.page.getByRole('button', { name: 'Push to Kaseya BMS' }).count(), 0);

      const readerApi = await apiAs(other.page, stack.apiUrl);
      assert.equal((await readerApi.patch(SETTINGS, { twoWayEnabled: false })).status, 403, 'and the API refuses it too');
      assertClean(other.watch);
    } finally {
      await other.context.close();
    }
  });

  async function openRecordAs(p: Page, name: string) {
    await menu(p, 'Organizations');
    await p.getByLabel('Search organizations').fill(name);
    await p.getByRole('button', { name: 'Search', exact: true }).click();
    await p.getByRole('link', { name, exact: true }).click();
    await p.getByRole('heading', { level: 1, name }).waitFor();
  }

  it('on the Basic plan the two-way checkbox is disabled, with the reason below it', async () => {
    const basic = await stack.otherAccount('basic');
    const connected = await basic.admin.put('/api/v1/integrations/kaseya-bms', { apiUrl: stack.sim.url, v1Url: stack.sim.url, ...SIM_CREDENTIALS });
    assert.equal(connected.status, 200, JSON.stringify(connected.body));
    const boss = await newUser('administrator', basic.accountId);
    const other = await openPage(browser, stack.apiUrl);
    try {
      await logIn(other.page, boss.email, boss.password);
      await menu(other.page, 'Integration');
      const box = other.page.getByLabel('Enable two-way sync');
      await box.waitFor();
      assert.equal(await box.isDisabled(), true);
      assert.match(
        (await other.page.getByTestId('two-way-why').textContent()) ?? '',
        /available on the Select and Enterprise plans; this account is on the Basic plan/,
      );
      assertClean(other.watch);
    } finally {
      await other.context.close();
      await waitForIdlePulls(basic.admin).catch(() => undefined);
    }
  });

  it('changes one’s own password: the current one is checked, a weak one refused, other sessions end', async () => {
    const elsewhere = stack.anonymous.withToken((await stack.anonymous.post('/api/v1/auth/login', { email: admin.email, password: admin.password })).body.data.token);
    await page.getByRole('link', { name: 'Change password' }).click();
    await page.getByRole('heading', { level: 1, name: 'Change password' }).waitFor();
    const newPassword = 'Amber-Kettle-Falcon-58';
    await page.getByLabel('Current password').fill('not the password');
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('New password again').fill(newPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('alert').filter({ hasText: 'not your current password' }).waitFor();
    assert.equal(await page.getByLabel('Current password').getAttribute('aria-invalid'), 'true');

    await page.getByLabel('Current password').fill(admin.password);
    await page.getByLabel('New password', { exact: true }).fill('1234567890');
    await page.getByLabel('New password again').fill('1234567890');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('alert').filter({ hasText: 'too easy to guess' }).waitFor();
    assert.equal(await page.getByLabel('New password', { exact: true }).getAttribute('aria-invalid'), 'true');

    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('New password again').fill(newPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('status').filter({ hasText: 'Password changed' }).waitFor();
    admin.password = newPassword;
    assert.equal((await api.get('/api/v1/me')).status, 200, 'this session goes on');
    assert.equal((await elsewhere.get('/api/v1/me')).status, 401, 'the other session ended');
    assertClean(watch);
  });

  it('log out forgets the session; an expired session sends the person to the login page', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    assert.equal(await sessionToken(page), null);
    assert.equal((await api.get('/api/v1/me')).status, 401, 'the session is ended on the server');

    await logIn(page, admin.email, admin.password);
    // The Overview has read all it shows, so the session ends while the person is idle on it.
    await page.getByRole('heading', { name: 'Records by sync state' }).waitFor();
    const current = await apiAs(page, stack.apiUrl);
    await current.post('/api/v1/auth/logout');
    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Contacts', exact: true }).click();
    await page.getByText('Your session has ended. Log in again to continue.').waitFor();
    await page.waitForURL(/\/login\?next=%2Fcontacts$/);
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByLabel('Password').press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Contacts' }).waitFor();
    assert.match(page.url(), /\/contacts$/, 'back where the person was');
    api = await apiAs(page, stack.apiUrl);
    assertClean(watch);
  });
});
