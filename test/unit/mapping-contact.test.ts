import assert from 'node:assert/strict';
import type { BmsContact } from '../../bms/types';
import { normalizeKeys } from '../../bms/wire';
import {
  alignOrder,
  bmsContactToContact,
  type ContactPushContext,
  type ContactSynced,
  type ContactTypeDefaults,
  contactCreateFollowUp,
  contactCreateProblems,
  contactPatch,
  contactToCreateBody,
  effectiveItems,
  emailOperations,
  EMPTY_LOOKUPS,
  type Lookups,
  MappingError,
  phoneOperations,
} from '../../domain/mapping';

const lookups: Lookups = {
  ...EMPTY_LOOKUPS,
  emailTypes: [
    { id: 51, name: 'Work' },
    { id: 52, name: 'Personal' },
    { id: 53, name: 'Other' },
  ],
  phoneTypes: [
    { id: 61, name: 'Office' },
    { id: 62, name: 'Mobile' },
    { id: 64, name: 'Fax' },
  ],
};

const ctx: ContactPushContext = { lookups, defaults: { emailType: null, phoneType: null }, accountBmsId: 1001, locationBmsId: 2000001 };

/** A ContactsSummaryOutputDto as the wire sends it. */
function summary(extra: Record<string, unknown> = {}): BmsContact {
  return normalizeKeys({
    id: 4000001,
    modifiedOn: '2024-02-02T09:10:00.000',
    accountId: 1001,
    accountName: 'Happy Frog Ltd',
    locationId: 2000001,
    locationName: 'Head Office',
    firstName: 'Alice',
    lastName: 'Ng',
    jobTitle: 'Office Manager',
    isPoc: true,
    isActive: true,
    canRecieveInvoices: false,
    emails: [{ id: 5000001, emailAddress: 'alice.ng@happyfrog.example.com', emailTypeId: 51, emailType: 'Work', isDefault: true }],
    phones: [
      { id: 6000001, phone: '+1 512 555 0102', phoneTypeId: 61, phoneType: 'Office', isDefault: true },
      { id: 6000002, phone: '+1 512 555 7788', phoneTypeId: 62, phoneType: 'Mobile', isDefault: false },
    ],
    ...extra,
  }) as BmsContact;
}

const alice: ContactSynced = {
  firstName: 'Alice',
  lastName: 'Ng',
  title: 'Office Manager',
  important: true,
  emails: [{ value: 'alice.ng@happyfrog.example.com', label: 'Work', primary: true }],
  phones: [
    { value: '+1 512 555 0102', label: 'Office', primary: true },
    { value: '+1 512 555 7788', label: 'Mobile', primary: false },
  ],
};

describe('contact mapping: BMS → documentation', () => {
  it('maps every field of the summary DTO, with its references', () => {
    const pulled = bmsContactToContact(summary(), lookups);
    assert.deepEqual(pulled.fields, alice);
    assert.equal(pulled.accountBmsId, 1001);
    assert.equal(pulled.locationBmsId, 2000001);
    assert.equal(pulled.isActive, true);
  });

  it('reads PascalCase answers like camelCase ones once keys are normalised', () => {
    const pascal = normalizeKeys({
      Id: 4000001,
      AccountId: 1001,
      LocationId: 2000001,
      FirstName: 'Alice',
      LastName: 'Ng',
      JobTitle: 'Office Manager',
      IsPoc: true,
      IsActive: true,
      Emails: [{ EmailAddress: 'alice.ng@happyfrog.example.com', EmailTypeId: 51, EmailType: 'Work', IsDefault: true }],
      Phones: [
        { Phone: '+1 512 555 0102', PhoneTypeId: 61, PhoneType: 'Office', IsDefault: true },
        { Phone: '+1 512 555 7788', PhoneTypeId: 62, PhoneType: 'Mobile', IsDefault: false },
      ],
    }) as BmsContact;
    assert.deepEqual(bmsContactToContact(pascal, lookups).fields, alice);
  });

  it('reads the point-of-contact flag as isPoc (summary) or poc (ContactOutputDto)', () => {
    assert.equal(bmsContactToContact(summary({ isPoc: undefined, poc: true }), lookups).fields.important, true);
    assert.equal(bmsContactToContact(summary({ isPoc: false, poc: true }), lookups).fields.important, false);
    assert.equal(bmsContactToContact(summary({ isPoc: null, poc: null }), lookups).fields.important, false);
    const output = normalizeKeys({ Id: 1, FirstName: 'A', Poc: true, RecieveInvoices: true }) as BmsContact;
    assert.equal(bmsContactToContact(output, lookups).fields.important, true);
  });

  it('reads a phone number as phone or phoneNumber', () => {
    const pulled = bmsContactToContact(summary({ phones: [{ phoneNumber: '555 1234', phoneTypeId: 62, isDefault: true }] }), lookups);
    assert.deepEqual(pulled.fields.phones, [{ value: '555 1234', label: 'Mobile', primary: true }]);
  });

  it('names an item type by its name, else by the lookup name of its id, else null', () => {
    const pulled = bmsContactToContact(
      summary({
        emails: [
          { emailAddress: 'a@x.example', emailTypeId: 52, emailType: null, isDefault: true },
          { emailAddress: 'b@x.example', emailTypeId: 999, isDefault: false },
          { emailAddress: 'c@x.example', emailTypeId: 999, emailType: 'Custom', isDefault: false },
        ],
      }),
      lookups,
    );
    assert.deepEqual(
      pulled.fields.emails.map((e) => e.label),
      ['Personal', null, 'Custom'],
    );
  });

  it('reads missing or null lists as empty and drops items without a value', () => {
    for (const lists of [{ emails: undefined, phones: undefined }, { emails: null, phones: null }, { emails: [], phones: [] }]) {
      const f = bmsContactToContact(summary(lists), lookups).fields;
      assert.deepEqual(f.emails, []);
      assert.deepEqual(f.phones, []);
    }
    const f = bmsContactToContact(
      summary({ emails: [{ emailAddress: '  ', emailTypeId: 51 }, null], phones: [{ phone: null, phoneNumber: '', phoneTypeId: 61 }] }),
      lookups,
    ).fields;
    assert.deepEqual(f.emails, []);
    assert.deepEqual(f.phones, []);
  });

  it('lists the default item first, the others in BMS order', () => {
    const f = bmsContactToContact(
      summary({
        phones: [
          { phone: '1', phoneTypeId: 61, isDefault: false },
          { phone: '2', phoneTypeId: 61, isDefault: true },
          { phone: '3', phoneTypeId: 61, isDefault: false },
        ],
      }),
      lookups,
    ).fields;
    assert.deepEqual(f.phones.map((p) => p.value), ['2', '1', '3']);
  });

  it('orders a pulled list like the last synced one, new items last, so a reorder alone is no change', () => {
    const pulled = [
      { value: 'b@x.example', label: 'Work', primary: true },
      { value: 'new@x.example', label: 'Work', primary: false },
      { value: 'a@x.example', label: 'Work', primary: false },
    ];
    const base = [{ value: 'A@x.example ' }, { value: 'b@x.example' }];
    assert.deepEqual(alignOrder(pulled, base).map((e) => e.value), ['a@x.example', 'b@x.example', 'new@x.example']);
    assert.deepEqual(alignOrder(pulled, undefined), pulled);
    assert.deepEqual(alignOrder(pulled, [null, { value: null }]), pulled);
  });

  it('reads null, empty and whitespace-only scalars as null', () => {
    const f = bmsContactToContact(summary({ firstName: ' ', lastName: '', jobTitle: null }), lookups).fields;
    assert.equal(f.firstName, null);
    assert.equal(f.lastName, null);
    assert.equal(f.title, null);
  });

  it('reads a missing or zero location as none, and inactive contacts as inactive', () => {
    assert.equal(bmsContactToContact(summary({ locationId: 0 }), lookups).locationBmsId, null);
    assert.equal(bmsContactToContact(summary({ locationId: null }), lookups).locationBmsId, null);
    assert.equal(bmsContactToContact(summary({ accountId: undefined }), lookups).accountBmsId, null);
    assert.equal(bmsContactToContact(summary({ isActive: false }), lookups).isActive, false);
  });
});

describe('contact mapping: documentation → BMS', () => {
  it('creates with ContactInputDto names only: PhoneNumber (not Phone), type ids, one default each', () => {
    const body = contactToCreateBody(alice, ctx);
    assert.deepEqual(body, {
      FirstName: 'Alice',
      LastName: 'Ng',
      AccountId: 1001,
      LocationId: 2000001,
      Emails: [{ EmailAddress: 'alice.ng@happyfrog.example.com', EmailTypeId: 51, IsDefault: true }],
      Phones: [
        { PhoneNumber: '+1 512 555 0102', PhoneTypeId: 61, IsDefault: true },
        { PhoneNumber: '+1 512 555 7788', PhoneTypeId: 62, IsDefault: false },
      ],
    });
    for (const trap of ['JobTitle', 'Poc', 'IsPoc', 'CanRecieveInvoices', 'ReceiveInvoices']) assert.equal(trap in body, false, trap);
  });

  it('sends the title and point-of-contact flag the create cannot carry as a JSON Patch with Poc (not IsPoc)', () => {
    assert.deepEqual(contactCreateFollowUp(alice), [
      { op: 'replace', path: '/JobTitle', value: 'Office Manager' },
      { op: 'replace', path: '/Poc', value: true },
    ]);
    assert.deepEqual(contactCreateFollowUp({ ...alice, title: '  ', important: false }), []);
  });

  it('picks type ids from the label, else the Sync Settings default, else the first lookup entry', () => {
    const items = (emailLabel: string | null, phoneLabel: string | null, defaults = ctx.defaults) => {
      const body = contactToCreateBody(
        { ...alice, emails: [{ value: 'x@y.example', label: emailLabel, primary: true }], phones: [{ value: '1', label: phoneLabel, primary: true }] },
        { ...ctx, defaults },
      );
      return [(body.Emails as any[])[0].EmailTypeId, (body.Phones as any[])[0].PhoneTypeId];
    };
    assert.deepEqual(items('personal', 'MOBILE'), [52, 62], 'case-insensitive label match');
    assert.deepEqual(items('Unknown label', null), [51, 61], 'first lookup entry');
    assert.deepEqual(items('Unknown label', null, { emailType: 'Other', phoneType: 'Fax' }), [53, 64], 'Sync Settings defaults');
    const both = contactToCreateBody(
      {
        ...alice,
        emails: [{ value: 'x@y.example', label: 'Work', primary: true }, { value: 'z@y.example', label: null, primary: false }],
        phones: [{ value: '1', label: 'Office', primary: true }],
      },
      { ...ctx, defaults: { emailType: 'Other', phoneType: 'Fax' } },
    );
    assert.deepEqual((both.Emails as any[]).map((e) => e.EmailTypeId), [51, 53], 'a known label wins over the default');
    assert.equal((both.Phones as any[])[0].PhoneTypeId, 61);
  });

  it('requires an email of the type chosen in Sync Settings (an unknown label takes that type), and a chosen type BMS knows', () => {
    const defaults: ContactTypeDefaults = { emailType: 'Work', phoneType: null };
    const phones = [{ value: '1', label: null, primary: true }];
    const problems = (labels: Array<string | null>, chosen = defaults) =>
      contactCreateProblems({ ...alice, phones, emails: labels.map((label, i) => ({ value: `e${i}@y.example`, label, primary: i === 0 })) }, chosen, lookups);
    assert.deepEqual(problems(['Personal']), [
      { field: 'emails', message: "A contact needs an email of the type 'Work' chosen in Sync Settings to be created in Kaseya BMS" },
    ]);
    assert.deepEqual(problems(['Personal', 'work']), []);
    assert.deepEqual(problems(['Personal', 'Desk phone email']), [], 'an unknown label is pushed with the chosen type');
    assert.deepEqual(problems(['Personal'], { emailType: null, phoneType: null }), [], 'no type chosen: any email will do');
    assert.deepEqual(problems(['Work'], { emailType: 'Telegram', phoneType: null }), [
      { field: 'emails', inSettings: true, message: "The email type 'Telegram' chosen in Sync Settings does not exist in Kaseya BMS" },
    ]);
    assert.deepEqual(problems(['Personal'], defaults).length, 1);
    assert.deepEqual(contactCreateProblems({ ...alice, emails: [], phones: [] }, defaults, lookups).map((p) => p.field), ['emails', 'phones']);
    assert.deepEqual(contactCreateProblems({ ...alice, emails: [], phones }, defaults, null).map((p) => p.field), ['emails'], 'lookups not fetched yet');
  });

  it('refuses items when BMS has no types at all', () => {
    assert.throws(
      () => contactToCreateBody(alice, { ...ctx, lookups: { ...lookups, emailTypes: [] } }),
      (err: unknown) => err instanceof MappingError && err.field === 'emails',
    );
  });

  it('requires a first name, a primary email and a primary phone to create', () => {
    const refused = (c: ContactSynced, field: string) =>
      assert.throws(() => contactToCreateBody(c, ctx), (err: unknown) => err instanceof MappingError && err.field === field);
    refused({ ...alice, firstName: '  ' }, 'firstName');
    refused({ ...alice, firstName: null }, 'firstName');
    refused({ ...alice, emails: [] }, 'emails');
    refused({ ...alice, emails: [{ value: '   ', label: null, primary: true }] }, 'emails');
    refused({ ...alice, phones: [] }, 'phones');
  });

  it('sends exactly one default: the first flagged item, else the first', () => {
    const none = contactToCreateBody({ ...alice, emails: [{ value: 'a@x.example', label: null, primary: false }, { value: 'b@x.example', label: null, primary: false }] }, ctx);
    assert.deepEqual((none.Emails as any[]).map((e) => e.IsDefault), [true, false]);
    const two = contactToCreateBody({ ...alice, emails: [{ value: 'a@x.example', label: null, primary: false }, { value: 'b@x.example', label: null, primary: true }, { value: 'c@x.example', label: null, primary: true }] }, ctx);
    assert.deepEqual((two.Emails as any[]).map((e) => e.IsDefault), [false, true, false]);
  });

  it('drops blank and duplicate items (BMS keys them by value, case-insensitively)', () => {
    const items = effectiveItems([
      { value: ' A@x.example ', label: null, primary: false },
      { value: 'a@x.example', label: 'Work', primary: true },
      { value: '', label: null, primary: false },
    ]);
    assert.deepEqual(items, [{ value: 'A@x.example', label: null, primary: true, key: 'a@x.example' }]);
  });

  it('patches changed scalars with ContactPutInputDto paths; a move sends AccountId and LocationId together', () => {
    assert.deepEqual(contactPatch({ firstName: 'Al', lastName: '', title: null, important: false }, ctx), [
      { op: 'replace', path: '/FirstName', value: 'Al' },
      { op: 'replace', path: '/LastName', value: null },
      { op: 'replace', path: '/JobTitle', value: null },
      { op: 'replace', path: '/Poc', value: false },
    ]);
    assert.deepEqual(contactPatch({ locationId: 'some-record' }, ctx), [
      { op: 'replace', path: '/AccountId', value: 1001 },
      { op: 'replace', path: '/LocationId', value: 2000001 },
    ]);
    assert.deepEqual(contactPatch({ emails: [] }, ctx), [], 'lists go through their own sub-resources');
    assert.throws(() => contactPatch({ firstName: '' }, ctx), MappingError);
  });

  describe('email and phone operations from the base', () => {
    const base = [
      { value: 'keep@x.example', label: 'Work', primary: true },
      { value: 'gone@x.example', label: 'Work', primary: false },
      { value: 'retype@x.example', label: 'Work', primary: false },
    ];

    it('deletes, then updates, then adds; keyed by address; only what changed', () => {
      const local = [
        { value: 'keep@x.example', label: 'Work', primary: false },
        { value: 'retype@x.example', label: 'Personal', primary: false },
        { value: 'new@x.example', label: 'Other', primary: true },
      ];
      assert.deepEqual(emailOperations(base, local, ctx), [
        { Operation: 2, EmailAddress: 'gone@x.example' },
        { Operation: 1, EmailAddress: 'keep@x.example', IsDefault: false },
        { Operation: 1, EmailAddress: 'retype@x.example', TypeId: 52 },
        { Operation: 0, EmailAddress: 'new@x.example', TypeId: 53, IsDefault: true },
      ]);
    });

    it('sends nothing when nothing changed, including order and label case', () => {
      const same = [base[2]!, { ...base[0]!, label: 'work' }, base[1]!];
      assert.deepEqual(emailOperations(base, same, ctx), []);
    });

    it('changes only the spelling of an address with NewEmailAddress', () => {
      const local = base.map((e) => (e.value === 'keep@x.example' ? { ...e, value: 'Keep@X.example' } : e));
      assert.deepEqual(emailOperations(base, local, ctx), [{ Operation: 1, EmailAddress: 'keep@x.example', NewEmailAddress: 'Keep@X.example' }]);
    });

    it('moves the default to the first remaining item when the default is removed', () => {
      const local = base.filter((e) => e.value !== 'keep@x.example');
      assert.deepEqual(emailOperations(base, local, ctx), [
        { Operation: 2, EmailAddress: 'keep@x.example' },
        { Operation: 1, EmailAddress: 'gone@x.example', IsDefault: true },
      ]);
    });

    it('treats an unknown label as the default type, so it is not a change when BMS already has that type', () => {
      assert.deepEqual(emailOperations([{ value: 'a@x.example', label: 'Work', primary: true }], [{ value: 'a@x.example', label: 'Main inbox', primary: true }], ctx), []);
    });

    it('builds phone operations with PhoneNumber/NewPhoneNumber', () => {
      const phoneBase = [{ value: '555 0100', label: 'Office', primary: true }];
      assert.deepEqual(
        phoneOperations(phoneBase, [{ value: '555 0100', label: 'Mobile', primary: true }, { value: '555 0199', label: 'Fax', primary: false }], ctx),
        [
          { Operation: 1, PhoneNumber: '555 0100', TypeId: 62 },
          { Operation: 0, PhoneNumber: '555 0199', TypeId: 64, IsDefault: false },
        ],
      );
      assert.deepEqual(phoneOperations(phoneBase, [], ctx), [{ Operation: 2, PhoneNumber: '555 0100' }]);
      assert.deepEqual(phoneOperations([], [], ctx), []);
    });
  });
});
