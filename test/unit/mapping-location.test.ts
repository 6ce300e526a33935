import assert from 'node:assert/strict';
import type { BmsAccountLocation } from '../../bms/types';
import { normalizeKeys } from '../../bms/wire';
import {
  accountLocationToLocation,
  canonicalCountry,
  EMPTY_LOOKUPS,
  type LocationSynced,
  locationModifiedOn,
  locationToV1Body,
  type Lookups,
  mainAddress,
  MappingError,
} from '../../domain/mapping';

const lookups: Lookups = {
  ...EMPTY_LOOKUPS,
  countries: [
    { id: 101, name: 'United States' },
    { id: 102, name: 'Canada' },
  ],
};

/** A V2 AccountLocationOutputDto as the wire sends it (camelCase). */
function v2Location(extra: Record<string, unknown> = {}, address: Record<string, unknown> = {}): BmsAccountLocation {
  return normalizeKeys({
    id: 2000001,
    locationName: 'Head Office',
    isMain: true,
    isActive: true,
    modifiedOn: '2024-02-01T09:00:00.000',
    addresses: [
      {
        id: 3000001,
        address1: '1 Main Street',
        address2: 'Suite 200',
        city: 'Austin',
        state: 'TX',
        zipCode: '78701',
        countryId: 101,
        country: 'United States',
        phone: '+1 512 555 0100',
        fax: '+1 512 555 0101',
        isMain: true,
        modifiedOn: '2024-02-01T09:00:00.000',
        ...address,
      },
    ],
    ...extra,
  }) as BmsAccountLocation;
}

const full: LocationSynced = {
  name: 'Head Office',
  primary: true,
  address1: '1 Main Street',
  address2: 'Suite 200',
  city: 'Austin',
  region: 'TX',
  postalCode: '78701',
  country: 'United States',
  phone: '+1 512 555 0100',
  fax: '+1 512 555 0101',
};

describe('location mapping: BMS → documentation', () => {
  it('maps every field of the location and its main address', () => {
    const pulled = accountLocationToLocation(v2Location(), lookups);
    assert.deepEqual(pulled.fields, full);
    assert.equal(pulled.isActive, true);
  });

  it('reads a V1 location (PascalCase) exactly like a V2 one once keys are normalised', () => {
    const v1 = normalizeKeys({
      Id: 2000001,
      AccountId: 1001,
      AccountName: 'Happy Frog Ltd',
      LocationName: 'Head Office',
      IsMain: true,
      IsActive: true,
      ModifiedOn: '2024-02-01T09:00:00.000',
      Addresses: [
        {
          Id: 3000001,
          Address1: '1 Main Street',
          Address2: 'Suite 200',
          City: 'Austin',
          State: 'TX',
          ZipCode: '78701',
          Country: 'United States',
          CountryId: 101,
          Phone: '+1 512 555 0100',
          Fax: '+1 512 555 0101',
          IsMain: true,
        },
      ],
    }) as BmsAccountLocation;
    assert.deepEqual(accountLocationToLocation(v1, lookups).fields, full);
  });

  it('reads a V1 location whose address is flat on the location (no Addresses list) like a nested one', () => {
    const flat = normalizeKeys({
      Id: 2000001,
      AccountId: 1001,
      LocationName: 'Head Office',
      IsMain: true,
      IsActive: true,
      ModifiedOn: '2024-02-01T09:00:00.000',
      Address1: '1 Main Street',
      Address2: 'Suite 200',
      City: 'Austin',
      State: 'TX',
      ZipCode: '78701',
      CountryId: 101,
      Phone: '+1 512 555 0100',
      Fax: '+1 512 555 0101',
    }) as BmsAccountLocation;
    assert.deepEqual(accountLocationToLocation(flat, lookups).fields, full, 'the country comes from the lookup by CountryId');
    assert.equal(locationModifiedOn(flat), '2024-02-01T09:00:00.000');
    const emptyList = normalizeKeys({ Id: 2000002, LocationName: 'Head Office', Addresses: [], City: 'Austin' }) as BmsAccountLocation;
    assert.equal(accountLocationToLocation(emptyList, lookups).fields.city, 'Austin', 'an empty list falls back to the flat fields');
  });

  it('takes the isMain address, else the first', () => {
    const loc = v2Location({
      addresses: [
        { id: 1, address1: 'Billing Road', isMain: false },
        { id: 2, address1: 'Main Road', isMain: true },
      ],
    });
    assert.equal(mainAddress(loc)?.id, 2);
    assert.equal(accountLocationToLocation(loc, lookups).fields.address1, 'Main Road');
    const noMain = v2Location({ addresses: [{ id: 1, address1: 'First' }, { id: 2, address1: 'Second' }] });
    assert.equal(accountLocationToLocation(noMain, lookups).fields.address1, 'First');
  });

  it('reads a missing, null or empty address list as empty address fields', () => {
    for (const addresses of [undefined, null, []]) {
      const loc = { id: 7, locationName: 'Bare', isMain: false, addresses } as BmsAccountLocation;
      const f = accountLocationToLocation(loc, lookups).fields;
      assert.equal(f.name, 'Bare');
      assert.equal(f.primary, false);
      for (const k of ['address1', 'address2', 'city', 'region', 'postalCode', 'country', 'phone', 'fax'] as const) {
        assert.equal(f[k], null, `${String(addresses)} ${k}`);
      }
    }
  });

  it('reads null, empty and whitespace-only values as null', () => {
    const loc = v2Location({ locationName: '   ' }, { address1: '', address2: null, city: ' ', state: '\t', zipCode: null, phone: '', fax: '  ' });
    const f = accountLocationToLocation(loc, lookups).fields;
    assert.equal(f.name, null);
    assert.equal(f.address1, null);
    assert.equal(f.address2, null);
    assert.equal(f.city, null);
    assert.equal(f.region, null);
    assert.equal(f.postalCode, null);
    assert.equal(f.phone, null);
    assert.equal(f.fax, null);
  });

  it('takes the country text, else the countries lookup name for its id, else null', () => {
    assert.equal(accountLocationToLocation(v2Location({}, { country: 'Canada', countryId: null }), lookups).fields.country, 'Canada');
    assert.equal(accountLocationToLocation(v2Location({}, { country: null, countryId: 102 }), lookups).fields.country, 'Canada');
    assert.equal(accountLocationToLocation(v2Location({}, { country: '', countryId: 999 }), lookups).fields.country, null);
  });

  it('reads isMain false/missing as not primary and isActive false as inactive', () => {
    assert.equal(accountLocationToLocation(v2Location({ isMain: false }), lookups).fields.primary, false);
    assert.equal(accountLocationToLocation(v2Location({ isMain: undefined }), lookups).fields.primary, false);
    assert.equal(accountLocationToLocation(v2Location({ isActive: false }), lookups).isActive, false);
    assert.equal(accountLocationToLocation(v2Location({ isActive: undefined }), lookups).isActive, true);
  });

  it('dates a location by the later of its own and its main address modifiedOn', () => {
    assert.equal(locationModifiedOn(v2Location({ modifiedOn: '2024-03-01T00:00:00' }, { modifiedOn: '2024-02-01T00:00:00' })), '2024-03-01T00:00:00');
    assert.equal(locationModifiedOn(v2Location({ modifiedOn: '2024-03-01T00:00:00' }, { modifiedOn: '2024-04-01T00:00:00' })), '2024-04-01T00:00:00');
    assert.equal(locationModifiedOn(v2Location({ modifiedOn: null }, { modifiedOn: '2024-04-01T00:00:00' })), '2024-04-01T00:00:00');
    assert.equal(locationModifiedOn({ id: 1, modifiedOn: null, addresses: null }), null);
  });
});

describe('location mapping: documentation → V1 body', () => {
  const ctx = { lookups, accountBmsId: 1001 };

  it('creates with every mapped field, the main address, CountryId when the lookup knows the country', () => {
    assert.deepEqual(locationToV1Body(full, ctx, { mode: 'create' }), {
      AccountId: 1001,
      LocationName: 'Head Office',
      IsMain: true,
      IsActive: true,
      Addresses: [
        {
          Address1: '1 Main Street',
          Address2: 'Suite 200',
          City: 'Austin',
          State: 'TX',
          ZipCode: '78701',
          Country: 'United States',
          CountryId: 101,
          Phone: '+1 512 555 0100',
          Fax: '+1 512 555 0101',
          IsMain: true,
        },
      ],
    });
  });

  it('matches the country case-insensitively and sends the lookup spelling; an unknown country goes as text only', () => {
    const known = locationToV1Body({ ...full, country: ' united states ' }, ctx, { mode: 'create' });
    assert.equal((known.Addresses as any[])[0].Country, 'United States');
    assert.equal((known.Addresses as any[])[0].CountryId, 101);
    const unknown = locationToV1Body({ ...full, country: 'Atlantis' }, ctx, { mode: 'create' });
    assert.equal((unknown.Addresses as any[])[0].Country, 'Atlantis');
    assert.equal('CountryId' in (unknown.Addresses as any[])[0], false);
    const none = locationToV1Body({ ...full, country: null }, ctx, { mode: 'create' });
    assert.equal((none.Addresses as any[])[0].Country, null);
    assert.equal('CountryId' in (none.Addresses as any[])[0], false);
  });

  it('sends empty and whitespace-only values as null', () => {
    const body = locationToV1Body({ ...full, address2: '', city: '  ', fax: null }, ctx, { mode: 'create' });
    const a = (body.Addresses as any[])[0];
    assert.equal(a.Address2, null);
    assert.equal(a.City, null);
    assert.equal(a.Fax, null);
  });

  it('sends IsMain on update only when primary changed, never IsActive', () => {
    const unchanged = locationToV1Body({ ...full, primary: false }, ctx, { mode: 'update', primaryChanged: false });
    assert.equal('IsMain' in unchanged, false);
    assert.equal('IsActive' in unchanged, false);
    assert.equal(unchanged.LocationName, 'Head Office');
    assert.equal((unchanged.Addresses as any[]).length, 1, 'the full main address is sent, since a PUT replaces it');
    assert.equal(locationToV1Body({ ...full, primary: false }, ctx, { mode: 'update', primaryChanged: true }).IsMain, false);
    assert.equal(locationToV1Body(full, ctx, { mode: 'update', primaryChanged: true }).IsMain, true);
    assert.equal(locationToV1Body({ ...full, primary: false }, ctx, { mode: 'create' }).IsMain, false);
  });

  it('refuses a location without a name', () => {
    for (const name of [null, '', '   ']) {
      assert.throws(
        () => locationToV1Body({ ...full, name }, ctx, { mode: 'create' }),
        (err: unknown) => err instanceof MappingError && err.field === 'name',
      );
    }
  });

  it('spells countries the way BMS will show them', () => {
    assert.equal(canonicalCountry('canada', lookups), 'Canada');
    assert.equal(canonicalCountry('Narnia', lookups), 'Narnia');
    assert.equal(canonicalCountry('  ', lookups), null);
    assert.equal(canonicalCountry(null, lookups), null);
  });

  it('round-trips: what a push writes reads back as the same fields', () => {
    const body = locationToV1Body({ ...full, country: 'canada' }, ctx, { mode: 'create' });
    const echoed = normalizeKeys({ Id: 5, LocationName: body.LocationName, IsMain: body.IsMain, Addresses: body.Addresses }) as BmsAccountLocation;
    assert.deepEqual(accountLocationToLocation(echoed, lookups).fields, { ...full, country: 'Canada' });
  });
});
