/**
 * Contacts ↔ BMS contacts through the real stack: the incremental contacts pull, pushes (create with
 * the follow-up JSON Patch, scalar JSON Patches, email/phone sub-resource operations), both directions
 * of email and phone changes, dependency ordering, and safe creates.
 */
import assert from 'node:assert/strict';
import type { HttpClient } from '../helpers/api-client';
import { startStack, type Stack } from '../helpers/stack';
import { served, simRequests, syncNowAndWait, waitFor, waitForSyncState } from '../helpers/sync';

describe('contact sync', function () {
  this.timeout(120_000);
  let stack: Stack;
  let apiKey: HttpClient;

  before(async () => {
    stack = await startStack({ twoWay: true });
    apiKey = await stack.apiKey('editor');
  });
  after(async () => stack?.stop());

  async function contacts(query = ''): Promise<any[]> {
    const res = await stack.admin.get(`/api/v1/contacts?pageSize=200${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.data as any[];
  }

  async function getContact(id: string): Promise<any> {
    const res = await stack.admin.get(`/api/v1/contacts/${id}`);
    assert.equal(res.status, 200);
    return res.body.data;
  }

  async function simContact(id: number): Promise<any> {
    const res = await stack.simAdmin.get(`/_sim/contacts/${id}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  }

  /** A contact added in BMS under a new synced organization, pulled by a Sync now. */
  async function contactMadeInBms(orgName: string, fields: Record<string, unknown>) {
    const org = await syncedOrganization(orgName);
    const created = await stack.simAdmin.post('/_sim/contacts', { accountId: org.bmsId, ...fields });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await syncNowAndWait(stack.admin);
    const local = (await contacts(`&organizationId=${org.id}`)).find((c) => c.sync.bmsId === created.body.id);
    assert.ok(local, 'the new BMS contact was pulled');
    return { org, created, local };
  }

  async function syncedOrganization(name: string): Promise<{ id: string; bmsId: number }> {
    const res = await stack.admin.post('/api/v1/organizations', { name, type: 'Client', status: 'Active' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const org = await waitForSyncState(stack.admin, 'organizations', res.body.data.id, 'synced');
    return { id: org.id, bmsId: org.sync.bmsId };
  }

  const emailsOf = (c: any) => (c.emails as any[]).map((e) => [e.emailAddress, e.emailType, e.isDefault]).sort();
  const phonesOf = (c: any) => (c.phones as any[]).map((p) => [p.phone, p.phoneType, p.isDefault]).sort();

  it('pulls the active contacts of synced accounts with their emails, phones, organization and location', async () => {
    const orgs = new Map(((await stack.admin.get('/api/v1/organizations?pageSize=200')).body.data as any[]).map((o) => [o.sync.bmsId, o]));
    const locations = new Map(((await stack.admin.get('/api/v1/locations?pageSize=200')).body.data as any[]).map((l) => [l.sync.bmsId, l]));
    const local = new Map((await contacts()).map((c) => [c.sync.bmsId, c]));
    const bmsContacts = (await stack.simAdmin.get('/_sim/contacts')).body as any[];
    let checked = 0;
    for (const bms of bmsContacts) {
      const org = orgs.get(bms.accountId);
      const mine = local.get(bms.id);
      if (!org || !bms.isActive) {
        assert.equal(mine, undefined, `${bms.firstName} ${bms.lastName}: not pulled (account not synced, or inactive)`);
        continue;
      }
      assert.ok(mine, `${bms.firstName} ${bms.lastName} pulled`);
      assert.equal(mine.sync.state, 'synced');
      assert.equal(mine.organizationId, org.id);
      assert.equal(mine.locationId, locations.get(bms.locationId)?.id ?? null);
      assert.equal(mine.firstName, bms.firstName);
      assert.equal(mine.lastName, bms.lastName);
      assert.equal(mine.title, bms.jobTitle);
      assert.equal(mine.important, bms.isPoc);
      assert.deepEqual(
        (mine.emails as any[]).map((e) => [e.value, e.label, e.primary]).sort(),
        emailsOf(bms),
      );
      assert.deepEqual(
        (mine.phones as any[]).map((p) => [p.value, p.label, p.primary]).sort(),
        phonesOf(bms),
      );
      checked++;
    }
    assert.ok(checked >= 15, `checked ${checked} contacts`);
    const bob = [...local.values()].find((c) => c.firstName === 'Bob' && c.lastName === 'Martinez');
    assert.ok(bob.locationId, 'a contact at a non-main location points at that location record');
    assert.equal((await stack.admin.get(`/api/v1/locations/${bob.locationId}`)).body.data.name, 'Warehouse');
  });

  it('creates the contact in BMS, then patches what the create cannot carry', async () => {
    const org = await syncedOrganization('Contact Create Ltd');
    const before = await simRequests(stack.simAdmin);
    const res = await stack.admin.post('/api/v1/contacts', {
      organizationId: org.id,
      firstName: 'Erin',
      lastName: 'Walsh',
      title: 'IT Lead',
      important: true,
      emails: [
        { value: 'erin.walsh@create.example', label: 'Work', primary: true },
        { value: 'erin@home.example', label: 'Personal', primary: false },
      ],
      phones: [
        { value: '+1 617 555 0100', label: 'Office', primary: true },
        { value: '+1 617 555 0199', label: 'Mobile', primary: false },
      ],
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const synced = await waitForSyncState(stack.admin, 'contacts', res.body.data.id, 'synced');
    const bms = await simContact(synced.sync.bmsId);
    assert.equal(bms.accountId, org.bmsId);
    assert.equal(bms.firstName, 'Erin');
    assert.equal(bms.lastName, 'Walsh');
    assert.equal(bms.jobTitle, 'IT Lead');
    assert.equal(bms.isPoc, true);
    assert.deepEqual(emailsOf(bms), [
      ['erin.walsh@create.example', 'Work', true],
      ['erin@home.example', 'Personal', false],
    ]);
    assert.deepEqual(phonesOf(bms), [
      ['+1 617 555 0100', 'Office', true],
      ['+1 617 555 0199', 'Mobile', false],
    ]);
    const main = ((await stack.simAdmin.get(`/_sim/locations?accountId=${org.bmsId}`)).body as any[]).find((l) => l.isMain);
    assert.equal(bms.locationId, main.id, 'a contact without a location goes to the account’s main location');
    const after = await simRequests(stack.simAdmin);
    assert.equal(served(after, 'POST /v2/crm/contacts/summary') - served(before, 'POST /v2/crm/contacts/summary'), 1);
    assert.equal(served(after, 'PATCH /v2/crm/contacts/{id}') - served(before, 'PATCH /v2/crm/contacts/{id}'), 1);
  });

  it('puts a contact at its own location when that location is in BMS', async () => {
    const org = await syncedOrganization('Contact Location Ltd');
    const loc = await stack.admin.post('/api/v1/locations', { organizationId: org.id, name: 'Lab', address1: '1 Lab Road' });
    assert.equal(loc.status, 201);
    const res = await stack.admin.post('/api/v1/contacts', {
      organizationId: org.id,
      locationId: loc.body.data.id,
      firstName: 'Lab',
      lastName: 'Tech',
      emails: [{ value: 'lab.tech@location.example', label: 'Work', primary: true }],
      phones: [{ value: '555 0101', label: null, primary: true }],
    });
    assert.equal(res.status, 201);
    const contact = await waitForSyncState(stack.admin, 'contacts', res.body.data.id, 'synced');
    const location = await waitForSyncState(stack.admin, 'locations', loc.body.data.id, 'synced');
    assert.equal((await simContact(contact.sync.bmsId)).locationId, location.sync.bmsId);
  });

  it('pushes scalar edits as one JSON Patch', async () => {
    const org = await syncedOrganization('Contact Update Ltd');
    const res = await stack.admin.post('/api/v1/contacts', {
      organizationId: org.id,
      firstName: 'Frank',
      lastName: 'Ocean',
      title: 'Technician',
      important: true,
      emails: [{ value: 'frank@update.example', label: 'Work', primary: true }],
      phones: [{ value: '555 0200', label: 'Office', primary: true }],
    });
    assert.equal(res.status, 201);
    const { sync } = await waitForSyncState(stack.admin, 'contacts', res.body.data.id, 'synced');
    const before = await simRequests(stack.simAdmin);
    const edit = await stack.admin.patch(`/api/v1/contacts/${res.body.data.id}`, { lastName: 'Sea', title: 'Senior Technician', important: false });
    assert.equal(edit.status, 200);
    await waitFor(
      async () => {
        const bms = await simContact(sync.bmsId);
        return bms.lastName === 'Sea' && bms.jobTitle === 'Senior Technician' && bms.isPoc === false;
      },
      { timeoutMs: 20_000, what: 'the edit to reach BMS' },
    );
    await waitForSyncState(stack.admin, 'contacts', res.body.data.id, 'synced');
    const after = await simRequests(stack.simAdmin);
    assert.equal(served(after, 'PATCH /v2/crm/contacts/{id}') - served(before, 'PATCH /v2/crm/contacts/{id}'), 1);
    assert.equal(served(after, 'PATCH /v2/crm/contacts/{contactId}/emails') - served(before, 'PATCH /v2/crm/contacts/{contactId}/emails'), 0);
    assert.equal(served(after, 'PUT /v2/crm/contacts/{id}') - served(before, 'PUT /v2/crm/contacts/{id}'), 0, 'never a full PUT');
    const bms = await simContact(sync.bmsId);
    assert.equal(bms.isActive, true, 'the patch left the other fields alone');
    assert.equal(bms.firstName, 'Frank');
  });

  describe('emails and phones', () => {
    let org: { id: string; bmsId: number };
    let contactId: string;
    let bmsId: number;

    before(async () => {
      org = await syncedOrganization('Contact Lists Ltd');
      const res = await stack.admin.post('/api/v1/contacts', {
        organizationId: org.id,
        firstName: 'Grace',
        lastName: 'Lists',
        emails: [
          { value: 'grace@lists.example', label: 'Work', primary: true },
          { value: 'grace.old@lists.example', label: 'Other', primary: false },
        ],
        phones: [
          { value: '555 0300', label: 'Office', primary: true },
          { value: '555 0399', label: 'Mobile', primary: false },
        ],
      });
      assert.equal(res.status, 201);
      contactId = res.body.data.id;
      bmsId = (await waitForSyncState(stack.admin, 'contacts', contactId, 'synced')).sync.bmsId;
      // The first pull gives the contact the location BMS put it at (the account's main one).
      await syncNowAndWait(stack.admin);
      const settled = await getContact(contactId);
      assert.ok(settled.locationId, 'the contact now names BMS’s main location');
      assert.equal(settled.sync.state, 'synced');
    });

    it('adds, changes and removes them in BMS through the email and phone operations', async () => {
      const before = await simRequests(stack.simAdmin);
      const edit = await stack.admin.patch(`/api/v1/contacts/${contactId}`, {
        emails: [
          { value: 'grace@lists.example', label: 'Personal', primary: false },
          { value: 'grace.new@lists.example', label: 'Work', primary: true },
        ],
        phones: [{ value: '555 0300', label: 'Mobile', primary: true }, { value: '555 0301', label: 'Office', primary: false }],
      });
      assert.equal(edit.status, 200);
      await waitFor(
        async () => {
          const bms = await simContact(bmsId);
          return (
            JSON.stringify(emailsOf(bms)) ===
              JSON.stringify([
                ['grace.new@lists.example', 'Work', true],
                ['grace@lists.example', 'Personal', false],
              ]) &&
            JSON.stringify(phonesOf(bms)) ===
              JSON.stringify([
                ['555 0300', 'Mobile', true],
                ['555 0301', 'Office', false],
              ])
          );
        },
        { timeoutMs: 20_000, what: 'the list changes to reach BMS' },
      );
      await waitForSyncState(stack.admin, 'contacts', contactId, 'synced');
      const after = await simRequests(stack.simAdmin);
      assert.equal(served(after, 'PATCH /v2/crm/contacts/{contactId}/emails') - served(before, 'PATCH /v2/crm/contacts/{contactId}/emails'), 1);
      assert.equal(served(after, 'PATCH /v2/crm/contacts/{contactId}/phones') - served(before, 'PATCH /v2/crm/contacts/{contactId}/phones'), 1);
      assert.equal(served(after, 'PATCH /v2/crm/contacts/{id}') - served(before, 'PATCH /v2/crm/contacts/{id}'), 0);

      // The next pull sees BMS holding what was pushed: nothing comes back as a change.
      const version = (await getContact(contactId)).version;
      await syncNowAndWait(stack.admin);
      const local = await getContact(contactId);
      assert.equal(local.version, version, 'no echo of the push');
      assert.equal(local.sync.state, 'synced');
    });

    it('takes emails and phones added, changed and removed in BMS', async () => {
      const res = await stack.simAdmin.patch(`/_sim/contacts/${bmsId}`, {
        emails: [
          { emailAddress: 'grace.new@lists.example', emailTypeId: 52, isDefault: true },
          { emailAddress: 'grace.bms@lists.example', emailTypeId: 53, isDefault: false },
        ],
        phones: [{ phone: '555 0388', phoneTypeId: 63, isDefault: true }],
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      await syncNowAndWait(stack.admin);
      const local = await getContact(contactId);
      assert.deepEqual(local.emails, [
        { value: 'grace.new@lists.example', label: 'Personal', primary: true },
        { value: 'grace.bms@lists.example', label: 'Other', primary: false },
      ]);
      assert.deepEqual(local.phones, [{ value: '555 0388', label: 'Home', primary: true }]);
      assert.equal(local.sync.state, 'synced');
      const history = (await stack.admin.get(`/api/v1/contacts/${contactId}/history`)).body.data as any[];
      assert.ok(history.some((h) => h.kind === 'pulled' && /emails/.test(h.summary) && /phones/.test(h.summary)));

      // And the base moved with them: the next local edit is computed from what BMS now holds.
      const edit = await stack.admin.patch(`/api/v1/contacts/${contactId}`, {
        phones: [...local.phones, { value: '555 0377', label: 'Office', primary: false }],
      });
      assert.equal(edit.status, 200);
      await waitFor(async () => phonesOf(await simContact(bmsId)).length === 2, { timeoutMs: 20_000, what: 'the added phone' });
      assert.deepEqual(phonesOf(await simContact(bmsId)), [
        ['555 0377', 'Office', false],
        ['555 0388', 'Home', true],
      ]);
    });
  });

  it('takes scalar changes made in BMS on the next pull', async () => {
    const { created, local } = await contactMadeInBms('Contact Pull Ltd', {
      firstName: 'Hana',
      lastName: 'Pull',
      jobTitle: 'Buyer',
      emails: [{ emailAddress: 'hana@pull.example', emailTypeId: 51, isDefault: true }],
      phones: [{ phone: '555 0400', phoneTypeId: 61, isDefault: true }],
    });
    assert.equal(local.title, 'Buyer');
    await stack.simAdmin.patch(`/_sim/contacts/${created.body.id}`, { jobTitle: 'Head Buyer', isPoc: true });
    const run = await syncNowAndWait(stack.admin);
    assert.ok((run.counts.contacts?.updated ?? 0) >= 1, JSON.stringify(run.counts));
    const after = await getContact(local.id);
    assert.equal(after.title, 'Head Buyer');
    assert.equal(after.important, true);

    await stack.simAdmin.patch(`/_sim/contacts/${created.body.id}`, { isActive: false });
    await syncNowAndWait(stack.admin);
    const inactive = await getContact(local.id);
    assert.equal(inactive.sync.state, 'orphaned', 'a contact made inactive in BMS is orphaned and kept');
  });

  it('orphans a contact deleted in BMS, which no listing by modified date shows, and keeps it', async () => {
    const { org, created, local } = await contactMadeInBms('Contact Gone Ltd', {
      firstName: 'Kai',
      lastName: 'Gone',
      emails: [{ emailAddress: 'kai@gone.example', emailTypeId: 51, isDefault: true }],
      phones: [{ phone: '555 0450', phoneTypeId: 61, isDefault: true }],
    });
    assert.equal(local.sync.state, 'synced');

    assert.equal((await stack.simAdmin.delete(`/_sim/contacts/${created.body.id}`)).status, 204);
    const before = await simRequests(stack.simAdmin);
    // Every linked contact of this account fits in one pass's slice, so the next pass checks this one.
    const run = await syncNowAndWait(stack.admin);
    const after = await simRequests(stack.simAdmin);
    assert.equal(run.counts.contacts?.orphaned, 1, JSON.stringify(run.counts));
    const orphan = await getContact(local.id);
    assert.equal(orphan.sync.state, 'orphaned');
    assert.match(orphan.sync.message ?? '', /no longer exists in Kaseya BMS/);
    assert.equal(orphan.firstName, 'Kai', 'the record is kept as it was');
    const searches = served(after, 'GET /v2/crm/contacts/search') - served(before, 'GET /v2/crm/contacts/search');
    assert.ok(searches >= 1 && searches <= 2, `checked with ${searches} search requests`);
    assert.equal(served(after, 'GET /v2/crm/contacts/summary/{id}') - served(before, 'GET /v2/crm/contacts/summary/{id}'), 1, 'only the missing one read alone');
    const history = (await stack.admin.get(`/api/v1/contacts/${local.id}/history`)).body.data as any[];
    assert.ok(history.some((h) => h.kind === 'orphaned'), JSON.stringify(history));

    // The other contacts were checked too and are still synced.
    const others = (await contacts(`&organizationId=${org.id}`)).filter((c) => c.id !== local.id && c.sync.bmsId !== null);
    assert.ok(others.every((c) => c.sync.state !== 'orphaned' || c.sync.message?.includes('inactive')), JSON.stringify(others.map((c) => c.sync)));
  });

  it('completes a pull whose check for deleted contacts fails, with the failure in the run log', async () => {
    await stack.simAdmin.put('/_sim/faults', { rules: [{ route: 'GET /v2/crm/contacts/search', mode: 'html' }] });
    try {
      const run = await syncNowAndWait(stack.admin);
      assert.equal(run.status, 'completed', JSON.stringify(run));
      const detail = (await stack.admin.get(`/api/v1/integrations/kaseya-bms/runs/${run.id}`)).body.data;
      const warnings = (detail.logs as any[]).filter((l) => l.level === 'warn').map((l) => l.message as string);
      assert.ok(
        warnings.some((m) => /^Checking for contacts deleted in Kaseya BMS failed: .*contacts\/search/.test(m)),
        JSON.stringify(warnings),
      );
    } finally {
      await stack.simAdmin.delete('/_sim/faults');
    }
  });

  it('does not push a contact without a primary email or phone, and says why', async () => {
    const org = await syncedOrganization('Contact Refused Ltd');
    const res = await stack.admin.post('/api/v1/contacts', { organizationId: org.id, firstName: 'Ivy', lastName: 'Nomail', phones: [{ value: '555 0500' }] });
    assert.equal(res.status, 201);
    const failed = await waitForSyncState(stack.admin, 'contacts', res.body.data.id, 'failed');
    assert.match(failed.sync.message, /primary email/);
  });

  it('pushes a contact saved under an organization not yet in BMS after the organization', async () => {
    // The organization comes in through the API, so nothing pushes it on its own.
    const org = await apiKey.post('/api/v1/organizations', { name: 'Contact First Ltd', type: 'Client', status: 'Active' });
    assert.equal(org.status, 201);
    const res = await stack.admin.post('/api/v1/contacts', {
      organizationId: org.body.data.id,
      firstName: 'Jon',
      lastName: 'Order',
      emails: [{ value: 'jon@order.example', label: 'Work', primary: true }],
      phones: [{ value: '555 0600', label: 'Office', primary: true }],
    });
    assert.equal(res.status, 201);
    const contact = await waitForSyncState(stack.admin, 'contacts', res.body.data.id, 'synced', 40_000);
    const organization = await waitForSyncState(stack.admin, 'organizations', org.body.data.id, 'synced');
    const bms = await simContact(contact.sync.bmsId);
    assert.equal(bms.accountId, organization.sync.bmsId);
    const account = (await stack.simAdmin.get(`/_sim/accounts/${organization.sync.bmsId}`)).body;
    assert.ok(Date.parse(account.createdOn) < Date.parse(bms.createdOn), 'the organization reached BMS first');
    const recent = ((await stack.simAdmin.get('/_sim/requests')).body.recent as any[]).filter((r) => r.status >= 200 && r.status < 300);
    const accountCreate = recent.findIndex((r) => r.route === 'POST /v2/crm/accounts');
    const contactCreate = recent.findIndex((r) => r.route === 'POST /v2/crm/contacts/summary');
    assert.ok(accountCreate >= 0 && contactCreate > accountCreate, `account create (${accountCreate}) before contact create (${contactCreate})`);
  });

  it('never makes a second BMS contact when the answer to a create was lost', async () => {
    const org = await syncedOrganization('Contact Lost Answer Ltd');
    await stack.simAdmin.put('/_sim/faults', { rules: [{ route: 'POST /v2/crm/contacts/summary', mode: 'drop-after-commit', count: 1 }] });
    try {
      const res = await stack.admin.post('/api/v1/contacts', {
        organizationId: org.id,
        firstName: 'Kim',
        lastName: 'Lost',
        title: 'Analyst',
        important: true,
        emails: [{ value: 'kim@lost.example', label: 'Work', primary: true }],
        phones: [{ value: '555 0700', label: 'Office', primary: true }],
      });
      assert.equal(res.status, 201);
      const synced = await waitForSyncState(stack.admin, 'contacts', res.body.data.id, 'synced', 40_000);
      const faults = await stack.simAdmin.get('/_sim/faults');
      assert.equal(faults.body.rules[0].fired, 1, 'the create was performed and its answer dropped');
      const matching = ((await stack.simAdmin.get(`/_sim/contacts?accountId=${org.bmsId}`)).body as any[]).filter(
        (c) => c.firstName === 'Kim' && c.lastName === 'Lost',
      );
      assert.equal(matching.length, 1, 'BMS holds exactly one');
      assert.equal(synced.sync.bmsId, matching[0].id);
      assert.equal(matching[0].jobTitle, 'Analyst', 'what the lost create could not carry was patched after the link');
      assert.equal(matching[0].isPoc, true);
    } finally {
      await stack.simAdmin.delete('/_sim/faults');
    }
  });

  describe('at the end', () => {
    it('sent nothing the vendor contract does not declare', async () => {
      const violations = await stack.simAdmin.get('/_sim/violations');
      assert.deepEqual(violations.body, []);
    });
  });
});
