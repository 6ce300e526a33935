import assert from 'node:assert/strict';
import { asUtcMs, type Dto, envelope, list, useSimulator } from './helpers';

describe('simulator: contacts', () => {
  const bms = useSimulator();

  it('lists summaries with totalRecords, `phone` numbers, `isPoc` and `canRecieveInvoices`', async () => {
    const env = envelope<Dto[]>(await bms.client.get('/v2/crm/contacts/summary', { PageSize: 5, PageNumber: 1 }));
    assert.equal(env.totalRecords, 23);
    assert.equal(env.result.length, 5);
    const alice = env.result[0]!;
    assert.equal(alice.firstName, 'Alice');
    assert.equal(alice.isPoc, true);
    assert.equal(alice.canRecieveInvoices, false);
    assert.equal(alice.accountName, 'Happy Frog Ltd');
    const phones = list(alice.phones);
    assert.deepEqual(
      phones.map((p) => [p.phone, p.phoneType, p.isDefault]),
      [
        ['+1 512 555 0102', 'Office', true],
        ['+1 512 555 7788', 'Mobile', false],
      ],
    );
    assert.equal('phoneNumber' in phones[0]!, false);
    assert.equal(list(alice.emails)[0]!.emailType, 'Work');
  });

  it('filters summaries by account, names, email, phone and IsActive', async () => {
    const byAccount = envelope<Dto[]>(await bms.client.get('/v2/crm/contacts/summary', { 'Filter.AccountId': 1003 }));
    assert.equal(byAccount.totalRecords, 5);
    const byName = envelope<Dto[]>(await bms.client.get('/v2/crm/contacts/summary', { 'Filter.FirstName': 'ali', 'Filter.LastName': 'NG' }));
    assert.deepEqual(
      byName.result.map((c) => c.firstName),
      ['Alice'],
    );
    const byEmail = envelope<Dto[]>(await bms.client.get('/v2/crm/contacts/summary', { 'Filter.Email': 'bobm@mail' }));
    assert.equal(byEmail.result[0]?.lastName, 'Martinez');
    const byPhone = envelope<Dto[]>(await bms.client.get('/v2/crm/contacts/summary', { 'Filter.Phone': '604 555 0121' }));
    assert.equal(byPhone.result[0]?.firstName, 'Janet');
    const inactive = envelope<Dto[]>(await bms.client.get('/v2/crm/contacts/summary', { 'Filter.IsActive': false }));
    assert.ok(inactive.result.every((c) => c.isActive === false));
    assert.equal(inactive.totalRecords, 3);
  });

  it('searches without a total, by account ids (repeated keys) and email address', async () => {
    const res = await bms.client.get('/v2/crm/contacts/search', { 'Filter.AccountIds': [1001, 1002], 'Filter.EmailAddress': 'northwind' });
    const env = envelope<Dto[]>(res);
    assert.equal('totalRecords' in env, false);
    assert.deepEqual(
      env.result.map((c) => c.firstName),
      ['Nancy', 'Andrew', 'Janet'],
    );
    assert.deepEqual(Object.keys(env.result[0]!).sort(), [
      'accountId',
      'accountName',
      'emailAddress',
      'firstName',
      'hasClientPortalAccess',
      'id',
      'isActive',
      'isPoc',
      'jobTitle',
      'lastName',
      'locationId',
      'locationName',
    ]);
  });

  it('lists an account\'s contacts for lookup', async () => {
    const rows = await bms.client.result<Dto[]>(bms.client.get('/v2/crm/accounts/1001/contacts/lookup', { 'Filter.Name': 'bob' }));
    assert.deepEqual(rows, [
      { id: 4000002, name: 'Bob Martinez', locationId: 2000002, locationName: 'Warehouse', phone: '+1 512 555 0181', emailAddress: 'bob.martinez@happyfrog.example.com' },
    ]);
  });

  describe('writes', () => {
    let contactId: number;

    it('creates a contact and answers with the flat ContactSummaryOutputDto', async () => {
      const created = await bms.client.result(
        bms.client.post('/v2/crm/contacts/summary', {
          FirstName: 'Zoe',
          LastName: 'Quinn',
          AccountId: 1001,
          LocationId: 2000002,
          Phones: [
            { PhoneNumber: '+1 512 555 0000', PhoneTypeId: 61, IsDefault: false },
            { PhoneNumber: '+1 512 555 0001', PhoneTypeId: 62, IsDefault: true },
          ],
          Emails: [{ EmailAddress: 'zoe@happyfrog.example.com', EmailTypeId: 51, IsDefault: true }],
        }),
      );
      contactId = created.id as number;
      assert.deepEqual(created, {
        id: contactId,
        firstName: 'Zoe',
        lastName: 'Quinn',
        accountId: 1001,
        accountName: 'Happy Frog Ltd',
        locationId: 2000002,
        locationName: 'Warehouse',
        phoneNumber: '+1 512 555 0001',
        emailAddress: 'zoe@happyfrog.example.com',
        customFieldsData: [],
      });
      const summary = await bms.client.result(bms.client.get(`/v2/crm/contacts/summary/${contactId}`));
      assert.equal(summary.createdBy, 501);
      assert.equal(list(summary.phones).length, 2);
    });

    it('refuses a contact without FirstName, with an unknown account, or with another account\'s location', async () => {
      const noName = await bms.client.post('/v2/crm/contacts/summary', { LastName: 'X', AccountId: 1001, LocationId: 2000001 });
      assert.equal(noName.status, 400);
      assert.deepEqual(envelope(noName).error?.subErrors, ['FirstName']);
      const noAccount = await bms.client.post('/v2/crm/contacts/summary', { FirstName: 'X', AccountId: 1, LocationId: 2000001 });
      assert.deepEqual(envelope(noAccount).error?.subErrors, ['AccountId']);
      const wrongLocation = await bms.client.post('/v2/crm/contacts/summary', { FirstName: 'X', AccountId: 1001, LocationId: 2000003 });
      assert.deepEqual(envelope(wrongLocation).error?.subErrors, ['LocationId']);
      const noEmailType = await bms.client.post('/v2/crm/contacts/summary', {
        FirstName: 'X',
        AccountId: 1001,
        LocationId: 2000001,
        Emails: [{ EmailAddress: 'x@example.com' }],
      });
      assert.deepEqual(envelope(noEmailType).error?.subErrors, ['Emails[0].EmailTypeId']);
    });

    it('PUT takes `Poc` and answers ContactOutputDto; the summary shows it as `isPoc`', async () => {
      const out = await bms.client.result(
        bms.client.put(`/v2/crm/contacts/${contactId}`, {
          AccountId: 1001,
          LocationId: 2000001,
          FirstName: 'Zoe',
          MiddleName: 'A',
          LastName: 'Quinn-Smith',
          JobTitle: 'Buyer',
          Poc: true,
          IsActive: true,
          ReceiveInvoices: true,
          BillByContact: false,
        }),
      );
      assert.equal(out.poc, true);
      assert.equal(out.recieveInvoices, true);
      assert.equal(out.modifiedByName, 'API User');
      const summary = await bms.client.result(bms.client.get(`/v2/crm/contacts/summary/${contactId}`));
      assert.equal(summary.isPoc, true);
      assert.equal(summary.canRecieveInvoices, true);
      assert.equal(summary.locationName, 'Head Office');
      assert.equal(list(summary.emails).length, 1, 'PUT leaves emails alone');
    });

    it('PUT without IsActive deactivates (a missing non-nullable bool binds to false)', async () => {
      const out = await bms.client.result(bms.client.put(`/v2/crm/contacts/${contactId}`, { AccountId: 1001, LocationId: 2000001, FirstName: 'Zoe' }));
      assert.equal(out.isActive, false);
      assert.equal(out.lastName, null);
    });

    it('PATCH applies JSON Patch to ContactPutInputDto', async () => {
      const out = await bms.client.result(
        bms.client.patch(`/v2/crm/contacts/${contactId}`, [
          { op: 'replace', path: '/IsActive', value: true },
          { op: 'replace', path: '/LastName', value: 'Quinn' },
          { op: 'replace', path: '/poc', value: false },
        ]),
      );
      assert.equal(out.isActive, true);
      assert.equal(out.lastName, 'Quinn');
      assert.equal(out.poc, false);
      const bad = await bms.client.patch(`/v2/crm/contacts/${contactId}`, [{ op: 'replace', path: '/IsPoc', value: true }]);
      assert.equal(bad.status, 400);
    });

    it('PATCH /emails adds, updates and deletes by address; the contact\'s modifiedOn moves', async () => {
      const before = await bms.client.result(bms.client.get(`/v2/crm/contacts/summary/${contactId}`));
      const result = await bms.client.result(
        bms.client.patch(`/v2/crm/contacts/${contactId}/emails`, [
          { Operation: 0, EmailAddress: 'zoe.home@example.net', TypeId: 52, IsDefault: false },
          { Operation: 1, EmailAddress: 'ZOE@happyfrog.example.com', NewEmailAddress: 'zoe.quinn@happyfrog.example.com' },
          { Operation: 0, EmailAddress: 'old@example.net', TypeId: 53 },
          { Operation: 2, EmailAddress: 'old@example.net' },
          { Operation: 1, EmailAddress: 'zoe.home@example.net', IsDefault: true },
        ]),
      );
      assert.equal(result.added, 2);
      assert.equal(result.updated, 2);
      assert.equal(result.deleted, 1);
      assert.deepEqual(
        list(result.emails).map((e) => [e.emailAddress, e.emailType, e.isDefault]),
        [
          ['zoe.quinn@happyfrog.example.com', 'Work', false],
          ['zoe.home@example.net', 'Personal', true],
        ],
      );
      const after = await bms.client.result(bms.client.get(`/v2/crm/contacts/summary/${contactId}`));
      assert.ok(asUtcMs(after.modifiedOn) > asUtcMs(before.modifiedOn));

      const missing = await bms.client.patch(`/v2/crm/contacts/${contactId}/emails`, [{ Operation: 2, EmailAddress: 'nobody@example.net' }]);
      assert.equal(missing.status, 400);
      const duplicate = await bms.client.patch(`/v2/crm/contacts/${contactId}/emails`, [{ Operation: 0, EmailAddress: 'zoe.home@example.net', TypeId: 51 }]);
      assert.equal(duplicate.status, 400);
      const unchanged = await bms.client.result(bms.client.get(`/v2/crm/contacts/summary/${contactId}`));
      assert.equal(unchanged.modifiedOn, after.modifiedOn, 'a refused patch is not a write');
    });

    it('PATCH /phones works the same way, keyed by number', async () => {
      const result = await bms.client.result(
        bms.client.patch(`/v2/crm/contacts/${contactId}/phones`, [
          { Operation: 2, PhoneNumber: '+1 512 555 0000' },
          { Operation: 1, PhoneNumber: '+1 512 555 0001', NewPhoneNumber: '+1 512 555 0002', TypeId: 63 },
          { Operation: 0, PhoneNumber: '+1 512 555 0003', TypeId: 64, IsDefault: true },
        ]),
      );
      assert.deepEqual([result.added, result.updated, result.deleted], [1, 1, 1]);
      assert.deepEqual(
        list(result.phones).map((p) => [p.phone, p.phoneType, p.isDefault]),
        [
          ['+1 512 555 0002', 'Home', false],
          ['+1 512 555 0003', 'Fax', true],
        ],
      );
      const badOp = await bms.client.patch(`/v2/crm/contacts/${contactId}/phones`, [{ Operation: 7, PhoneNumber: '1' }]);
      assert.equal(badOp.status, 400, 'Operation is an enum of 0, 1, 2');
    });

    it('finds the changed contact through Filter.ModifiedOnFrom', async () => {
      const summary = await bms.client.result(bms.client.get(`/v2/crm/contacts/summary/${contactId}`));
      const env = envelope<Dto[]>(await bms.client.get('/v2/crm/contacts/summary', { 'Filter.ModifiedOnFrom': String(summary.modifiedOn) }));
      assert.deepEqual(
        env.result.map((c) => c.id),
        [contactId],
      );
    });

    it('DELETE answers 200 with no body; the contact is gone', async () => {
      const res = await bms.client.delete(`/v2/crm/contacts/${contactId}`);
      assert.equal(res.status, 200);
      assert.equal(res.text, '');
      assert.equal((await bms.client.get(`/v2/crm/contacts/summary/${contactId}`)).status, 404);
      assert.equal((await bms.client.delete(`/v2/crm/contacts/${contactId}`)).status, 404);
      assert.equal((await bms.admin.get(`/contacts/${contactId}`)).status, 404);
    });
  });
});
