/**
 * Every record that needs a person, in one list, on the real stack: a push BMS refused, a contact without
 * the email type chosen in Sync Settings (stopped by the pre-push check before anything is sent), a push
 * waiting on a refused organization, an excluded record and a disconnected one; each with its cause and
 * fix link; retry one and retry all of a kind; who may see and who may act; bad input.
 */
import assert from 'node:assert/strict';
import type { ApiResponse, HttpClient } from '../helpers/api-client';
import { answerChecker, type OpenApiDocument } from '../helpers/openapi';
import { startStack, type Stack } from '../helpers/stack';
import { simRequests, served, waitFor, waitForSyncState } from '../helpers/sync';

describe('problems: every record that needs a person, with its fix', function () {
  this.timeout(180_000);
  let stack: Stack;
  let checkAnswer: (method: string, path: string, res: ApiResponse) => void;
  const SETTINGS = '/api/v1/integrations/kaseya-bms/sync-settings';

  before(async () => {
    stack = await startStack({ twoWay: true, pushIdleTimeoutMs: 1_500 });
    const res = await stack.admin.patch(SETTINGS, { settings: { contactDefaults: { emailType: 'Work', phoneType: null } } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    checkAnswer = answerChecker((await stack.anonymous.get('/api/v1/openapi.json')).body as OpenApiDocument);
  });
  after(async () => stack?.stop());

  async function problems(api: HttpClient, query = ''): Promise<{ data: any[]; meta: any }> {
    const res = await api.get(`/api/v1/problems?limit=200${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    checkAnswer('GET', `/problems?limit=200${query}`, res);
    return res.body;
  }

  async function entryFor(id: string, query = ''): Promise<any> {
    return (await problems(stack.admin, query)).data.find((p) => p.record.id === id);
  }

  async function syncedOrganization(name: string): Promise<any> {
    const res = await stack.admin.post('/api/v1/organizations', { name, type: 'Client', status: 'Active' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return waitForSyncState(stack.admin, 'organizations', res.body.data.id, 'synced');
  }

  const workEmail = (value: string) => ({ value, label: 'Work', primary: true });
  const phone = { value: '555 0101', label: 'Office', primary: true };

  let refusedOrg: any;
  let waitingContact: any;

  it('lists a push BMS refused with its reason, and the contact waiting on it; the wait does not loop', async () => {
    await stack.simAdmin.put('/_sim/faults', { rules: [{ route: 'POST /v2/crm/accounts', mode: 'problem-details', count: 1 }] });
    try {
      const org = await stack.admin.post('/api/v1/organizations', { name: 'Problem Refused Ltd', type: 'Client', status: 'Active' });
      refusedOrg = await waitForSyncState(stack.admin, 'organizations', org.body.data.id, 'failed');
    } finally {
      await stack.simAdmin.delete('/_sim/faults');
    }
    const failed = await entryFor(refusedOrg.id, '&kind=failed');
    assert.ok(failed, 'the refused organization is listed');
    assert.equal(failed.kind, 'failed');
    assert.match(failed.cause, /^Kaseya BMS refused the push: .+/);
    assert.equal(failed.fix.href, `/organizations/${refusedOrg.id}`);
    assert.deepEqual(failed.record, {
      type: 'organization',
      id: refusedOrg.id,
      name: 'Problem Refused Ltd',
      organization: null,
      href: `/organizations/${refusedOrg.id}`,
    });
    assert.ok(Date.parse(failed.since) > 0);
    assert.equal(failed.retryable, true);

    const before = await simRequests(stack.simAdmin);
    const contact = await stack.admin.post('/api/v1/contacts', {
      organizationId: refusedOrg.id,
      firstName: 'Wanda',
      lastName: 'Waits',
      emails: [workEmail('wanda@refused.example')],
      phones: [phone],
    });
    assert.equal(contact.status, 201, JSON.stringify(contact.body));
    waitingContact = contact.body.data;
    const waiting = await waitFor(async () => entryFor(waitingContact.id, '&kind=waiting'), { timeoutMs: 20_000, what: 'the contact listed as waiting' });
    assert.equal(waiting.cause, "Waiting for its organization 'Problem Refused Ltd' to reach Kaseya BMS first; its push was refused: " + refusedOrg.sync.lastError.message);
    assert.equal(waiting.fix.href, `/organizations/${refusedOrg.id}`);
    assert.equal(waiting.waitingFor.id, refusedOrg.id);
    assert.deepEqual(waiting.record.organization, { id: refusedOrg.id, name: 'Problem Refused Ltd' });

    // The refused organization is not queued again by its contact's wait: the contact's push ends instead
    // of asking for the organization every minute.
    const description = () => stack.temporal.workflow.getHandle(waitingContact.sync.workflowId).describe();
    await waitFor(async () => (await description()).status.name === 'COMPLETED', { timeoutMs: 20_000, what: "the contact's push to end" });
    const organization = (await stack.admin.get(`/api/v1/organizations/${refusedOrg.id}`)).body.data;
    assert.equal(organization.sync.state, 'failed', 'the refused organization was not re-queued');
    const after = await simRequests(stack.simAdmin);
    assert.equal(served(after, 'POST /v2/crm/accounts'), served(before, 'POST /v2/crm/accounts'), 'no new account create was tried');
  });

  it('retries all failed pushes, then the waiting contact: both reach BMS and leave the list', async () => {
    const all = await stack.admin.post('/api/v1/problems/retry-all', { kind: 'failed' });
    assert.equal(all.status, 200, JSON.stringify(all.body));
    checkAnswer('POST', '/problems/retry-all', all);
    assert.ok(all.body.data.queued >= 1, JSON.stringify(all.body.data));
    assert.equal(all.body.data.attempted, all.body.data.queued + all.body.data.notQueued);
    assert.ok(all.body.data.results.some((r: any) => r.id === refusedOrg.id && r.queued && r.state === 'queued'));
    await waitForSyncState(stack.admin, 'organizations', refusedOrg.id, 'synced');

    const one = await stack.admin.post('/api/v1/problems/retry', { recordType: 'contact', recordId: waitingContact.id });
    assert.equal(one.status, 202, JSON.stringify(one.body));
    checkAnswer('POST', '/problems/retry', one);
    assert.deepEqual(one.body.data, { recordType: 'contact', id: waitingContact.id, queued: true, state: 'queued' });
    await waitForSyncState(stack.admin, 'contacts', waitingContact.id, 'synced');
    assert.equal(await entryFor(refusedOrg.id), undefined);
    assert.equal(await entryFor(waitingContact.id), undefined);
  });

  it('stops a contact without an email of the type chosen in Sync Settings before pushing; fixing the email pushes it', async () => {
    const org = await syncedOrganization('Problem Email Ltd');
    const before = await simRequests(stack.simAdmin);
    const res = await stack.admin.post('/api/v1/contacts', {
      organizationId: org.id,
      firstName: 'Pat',
      lastName: 'Personal',
      emails: [{ value: 'pat@home.example', label: 'Personal', primary: true }],
      phones: [phone],
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const contact = res.body.data;
    assert.equal(contact.sync.state, 'failed', 'not queued: BMS would refuse it');
    assert.equal(contact.sync.lastError.type, 'MissingValueError');
    const entry = await entryFor(contact.id, '&kind=missing_value');
    assert.ok(entry, 'listed as a missing value');
    assert.equal(entry.cause, "A contact needs an email of the type 'Work' chosen in Sync Settings to be created in Kaseya BMS");
    assert.equal(entry.fix.href, `/contacts/${contact.id}#field-emails`);
    assert.equal((await entryFor(contact.id, '&kind=failed')), undefined, 'not listed as a BMS refusal');

    // A retry while the value is still missing is not queued; the record stays listed with its cause.
    const retry = await stack.admin.post('/api/v1/problems/retry', { recordType: 'contact', recordId: contact.id });
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.equal(retry.body.data.queued, false);
    assert.match(retry.body.data.cause, /email of the type 'Work'/);
    assert.ok(await entryFor(contact.id, '&kind=missing_value'));
    const after = await simRequests(stack.simAdmin);
    assert.equal(served(after, 'POST /v2/crm/contacts/summary'), served(before, 'POST /v2/crm/contacts/summary'), 'nothing was sent to BMS');

    // A contact without any email is stopped the same way.
    const none = await stack.admin.post('/api/v1/contacts', { organizationId: org.id, firstName: 'Nora', phones: [phone] });
    const noneEntry = await entryFor(none.body.data.id, '&kind=missing_value');
    assert.equal(noneEntry.cause, 'A contact needs a primary email to be created in Kaseya BMS');
    assert.equal(noneEntry.fix.href, `/contacts/${none.body.data.id}#field-emails`);

    // Fix the email (a person's save queues the push), and it reaches BMS and leaves the list.
    const fixed = await stack.admin.patch(`/api/v1/contacts/${contact.id}`, { emails: [workEmail('pat@work.example')] });
    assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
    const synced = await waitForSyncState(stack.admin, 'contacts', contact.id, 'synced');
    const inBms = (await stack.simAdmin.get(`/_sim/contacts/${synced.sync.bmsId}`)).body;
    assert.deepEqual((inBms.emails as any[]).map((e) => [e.emailAddress, e.emailType]), [['pat@work.example', 'Work']]);
    assert.equal(await entryFor(contact.id), undefined);
  });

  it('retries all of a kind after a fix in Sync Settings: those it fixed are queued, the others are counted and stay', async () => {
    const org = await syncedOrganization('Problem Bulk Ltd');
    const ann = await stack.admin.post('/api/v1/contacts', {
      organizationId: org.id,
      firstName: 'Ann',
      emails: [{ value: 'ann@home.example', label: 'Personal', primary: true }],
      phones: [phone],
    });
    const ben = await stack.admin.post('/api/v1/contacts', { organizationId: org.id, firstName: 'Ben', emails: [], phones: [phone] });
    assert.ok(await entryFor(ann.body.data.id, '&kind=missing_value'));
    // Personal is the type contacts are pushed with now: Ann has one; Ben still has no email at all.
    await stack.admin.patch(SETTINGS, { settings: { contactDefaults: { emailType: 'Personal', phoneType: null } } });
    try {
      const res = await stack.admin.post('/api/v1/problems/retry-all', { kind: 'missing_value', recordType: 'contact' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const { results, queued, notQueued, attempted, more } = res.body.data;
      assert.equal(more, false);
      assert.equal(attempted, queued + notQueued);
      assert.ok(notQueued >= 1);
      assert.deepEqual(results.find((r: any) => r.id === ann.body.data.id), { recordType: 'contact', id: ann.body.data.id, queued: true, state: 'queued' });
      const benResult = results.find((r: any) => r.id === ben.body.data.id);
      assert.equal(benResult.queued, false);
      assert.equal(benResult.cause, 'Push to Kaseya BMS failed: A contact needs a primary email to be created in Kaseya BMS');
      await waitForSyncState(stack.admin, 'contacts', ann.body.data.id, 'synced');
    } finally {
      await stack.admin.patch(SETTINGS, { settings: { contactDefaults: { emailType: 'Work', phoneType: null } } });
    }
    assert.ok(await entryFor(ben.body.data.id, '&kind=missing_value'), 'Ben stays listed');
    assert.equal(await entryFor(ann.body.data.id), undefined);
  });

  it('lists excluded records with the rule and where to change it, and disconnected records with the way back', async () => {
    const inactive = await stack.admin.post('/api/v1/organizations', { name: 'Problem Inactive Ltd', type: 'Client', status: 'Inactive' });
    assert.equal(inactive.body.data.sync.state, 'excluded');
    const excluded = await entryFor(inactive.body.data.id, '&kind=excluded');
    assert.equal(excluded.cause, "Not pushed: status 'Inactive' is not set to sync");
    assert.equal(excluded.fix.href, '/integration#sync-organizations');
    const untyped = await stack.admin.post('/api/v1/organizations', { name: 'Problem Untyped Ltd', type: 'Toaster Makers', status: 'Active' });
    const untypedEntry = await entryFor(untyped.body.data.id, '&kind=excluded');
    assert.equal(untypedEntry.cause, "Not pushed: type 'Toaster Makers' does not exist in Kaseya BMS");
    assert.equal(untypedEntry.fix.href, `/organizations/${untyped.body.data.id}#field-type`);

    // A push that finds its BMS record deleted disconnects the record (kept, listed, reconnected elsewhere).
    const gone = await syncedOrganization('Problem Gone Ltd');
    assert.equal((await stack.simAdmin.delete(`/_sim/accounts/${gone.sync.bmsId}`)).status, 204);
    await stack.admin.patch(`/api/v1/organizations/${gone.id}`, { name: 'Problem Gone Ltd (renamed)' });
    await waitForSyncState(stack.admin, 'organizations', gone.id, 'orphaned');
    const orphan = await entryFor(gone.id, '&kind=orphaned');
    assert.equal(orphan.cause, 'Disconnected from Kaseya BMS: the Kaseya BMS record no longer exists');
    assert.equal(orphan.fix.href, '/review?type=organization');
    assert.equal(orphan.retryable, false);
    const retry = await stack.admin.post('/api/v1/problems/retry', { recordType: 'organization', recordId: gone.id });
    assert.equal(retry.status, 409);
    assert.equal(retry.body.error.code, 'orphaned');

    const { meta } = await problems(stack.admin);
    assert.ok(meta.counts.excluded >= 2 && meta.counts.orphaned >= 1 && meta.counts.missing_value >= 2, JSON.stringify(meta.counts));
    assert.equal(meta.total, Object.values(meta.counts as Record<string, number>).reduce((a, b) => a + b, 0));
    const onlyContacts = await problems(stack.admin, '&type=contact');
    assert.ok(onlyContacts.data.every((p) => p.record.type === 'contact'));
  });

  it('pages with a cursor, newest first, every entry once', async () => {
    const all = (await problems(stack.admin)).data.map((p) => p.record.id);
    assert.ok(all.length >= 4);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await stack.admin.get(`/api/v1/problems?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(res.status, 200);
      assert.ok(res.body.data.length <= 2);
      seen.push(...res.body.data.map((p: any) => p.record.id));
      cursor = res.body.meta.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, all);
  });

  it('lets every role see the list; only administrators and managers retry', async () => {
    const target = (await problems(stack.admin, '&kind=missing_value')).data[0];
    assert.ok(target);
    for (const role of ['manager', 'editor', 'read-only'] as const) {
      const api = await stack.userWithRole(role);
      const list = await api.get('/api/v1/problems?limit=5');
      assert.equal(list.status, 200, role);
      assert.ok(list.body.meta.total > 0);
      const one = await api.post('/api/v1/problems/retry', { recordType: target.record.type, recordId: target.record.id });
      const all = await api.post('/api/v1/problems/retry-all', { kind: 'missing_value' });
      if (role === 'manager') {
        assert.equal(one.status, 200, JSON.stringify(one.body));
        assert.equal(all.status, 200, JSON.stringify(all.body));
      } else {
        assert.equal(one.status, 403, role);
        assert.equal(one.body.error.code, 'forbidden');
        assert.equal(all.status, 403, role);
      }
    }
    const key = await stack.apiKey('administrator');
    const byKey = await key.post('/api/v1/problems/retry', { recordType: target.record.type, recordId: target.record.id });
    assert.equal(byKey.status, 403);
    assert.equal(byKey.body.error.code, 'ui_only');
  });

  it('refuses bad input with a 4xx naming the field', async () => {
    const field = (res: any) => res.body.error.details?.field ?? res.body.error.details?.issues?.[0]?.field;
    const cases: Array<[Promise<any>, number, string]> = [
      [stack.admin.get('/api/v1/problems?kind=broken'), 400, 'kind'],
      [stack.admin.get('/api/v1/problems?type=printer'), 400, 'type'],
      [stack.admin.get('/api/v1/problems?limit=0'), 400, 'limit'],
      [stack.admin.get('/api/v1/problems?limit=201'), 400, 'limit'],
      [stack.admin.get('/api/v1/problems?cursor=not-a-cursor'), 400, 'cursor'],
      [stack.admin.get('/api/v1/problems?surprise=1'), 400, ''],
      [stack.admin.post('/api/v1/problems/retry', { recordType: 'contact', recordId: 'nope' }), 400, 'recordId'],
      [stack.admin.post('/api/v1/problems/retry', { recordType: 'printer', recordId: '00000000-0000-4000-8000-000000000000' }), 400, 'recordType'],
      [stack.admin.post('/api/v1/problems/retry', { recordType: 'contact' }), 400, 'recordId'],
      [stack.admin.post('/api/v1/problems/retry-all', { kind: 'orphaned' }), 422, 'kind'],
      [stack.admin.post('/api/v1/problems/retry-all', { kind: 'failed', extra: true }), 400, ''],
    ];
    for (const [request, status, name] of cases) {
      const res = await request;
      assert.ok(res.body.error?.code, 'the error envelope');
      assert.equal(res.status, status, JSON.stringify(res.body));
      if (name) assert.equal(field(res), name, JSON.stringify(res.body));
    }
    const missing = await stack.admin.post('/api/v1/problems/retry', { recordType: 'contact', recordId: '00000000-0000-4000-8000-000000000000' });
    assert.equal(missing.status, 404);
    // Another account's record is neither listed nor retried.
    const other = await stack.otherAccount();
    const theirs = (await other.admin.post('/api/v1/organizations', { name: 'Their Problem Ltd' })).body.data;
    assert.equal((await stack.admin.post('/api/v1/problems/retry', { recordType: 'organization', recordId: theirs.id })).status, 404);
    assert.ok((await problems(stack.admin)).data.every((p) => p.record.id !== theirs.id));
  });
});
