import assert from 'node:assert/strict';
import { checkRequest, getContract } from '../../simulator/contract';
import { envelope, useSimulator } from './helpers';

function messages(req: Parameters<typeof checkRequest>[0]): string[] {
  return checkRequest(req).map((v) => v.message);
}

describe('simulator: contract checking', () => {
  describe('checkRequest', () => {
    it('accepts a conforming request, with query names in any letter case', () => {
      assert.deepEqual(
        messages({
          method: 'GET',
          path: '/v2/crm/accounts/summary',
          query: { 'filter.modifiedonfrom': '2024-05-01T10:00:00', PageSize: '100', pagenumber: '2', 'Filter.IsActive': 'True' },
        }),
        [],
      );
      const typed = getContract().check({ method: 'GET', path: '/v2/crm/accounts/summary', query: { 'Filter.ModifiedOnFrom': '2024-05-01T12:00:00+02:00' } });
      assert.equal(typed.query['Filter.ModifiedOnFrom'], Date.UTC(2024, 4, 1, 10));
      assert.equal(typed.route?.key, 'GET /v2/crm/accounts/summary');
    });

    it('names an undeclared query parameter and a badly typed one', () => {
      assert.deepEqual(messages({ method: 'GET', path: '/v2/crm/accounts/summary', query: { 'Filter.Foo': 'x', PageSize: 'ten', 'Filter.IsActive': '1' } }), [
        'query parameter Filter.Foo is not declared for GET /v2/crm/accounts/summary',
        "query parameter PageSize must be an int32, got 'ten'",
        "query parameter Filter.IsActive must be true or false, got '1'",
      ]);
      assert.deepEqual(messages({ method: 'GET', path: '/v2/crm/accounts/summary', query: { PageSize: '3000000000' } }), [
        "query parameter PageSize must be an int32, got '3000000000'",
      ]);
      assert.deepEqual(messages({ method: 'GET', path: '/v2/crm/accounts/summary', query: { PageSize: ['1', '2'] } }), [
        'query parameter PageSize is given 2 times but is not an array',
      ]);
    });

    it('takes arrays as repeated keys, not as CSV', () => {
      assert.deepEqual(messages({ method: 'GET', path: '/v2/crm/accounts/lookup', query: { 'Filter.Ids': ['1', '2'] } }), []);
      assert.deepEqual(messages({ method: 'GET', path: '/v2/crm/accounts/lookup', query: { 'Filter.Ids': '1,2' } }), [
        "query parameter Filter.Ids must be an int32, got '1,2'",
      ]);
    });

    it('checks path parameters and required query parameters', () => {
      assert.deepEqual(messages({ method: 'GET', path: '/v2/crm/accounts/summary/abc' }), ["path parameter id must be an int32, got 'abc'"]);
      assert.deepEqual(messages({ method: 'GET', path: '/v2/security/ssostatus' }), [
        'query parameter Tenant is required for GET /v2/security/ssostatus',
      ]);
      assert.deepEqual(messages({ method: 'GET', path: '/v2/crm/nothing' }), ['path /v2/crm/nothing is not declared in the API document']);
      assert.match(messages({ method: 'DELETE', path: '/v2/crm/accounts/12' })[0] ?? '', /method DELETE is not declared/);
    });

    it('validates JSON bodies: required, undeclared, wrong type, nullable, formats, nested', () => {
      const ok = {
        AccountName: 'A',
        AccountTypeId: 1,
        BusinessTypeId: 11,
        AccountManagerId: 502,
        ParentId: null,
        AcquiredDate: '2024-01-01',
        CreditLimit: 10.5,
        Locations: [{ LocationName: 'HQ', Addresses: [{ CountryId: null, Latitude: 1.25 }] }],
      };
      assert.deepEqual(messages({ method: 'POST', path: '/v2/crm/accounts', contentType: 'application/json', body: ok }), []);
      assert.deepEqual(
        messages({
          method: 'POST',
          path: '/v2/crm/accounts',
          contentType: 'application/json; charset=utf-8',
          body: { ...ok, AccountName: undefined, Colour: 'red', AccountTypeId: '1', AcquiredDate: 'soon', Locations: [{ LocationName: '', Addresses: [{ Zip: 1 }] }] },
        }),
        [
          'body/AccountName is required',
          'body/Colour is not a declared property',
          'body/AccountTypeId must be integer',
          'body/AcquiredDate must be a valid date-time',
          'body/Locations/0/LocationName must not be empty',
          'body/Locations/0/Addresses/0/Zip is not a declared property',
        ],
      );
      assert.deepEqual(
        messages({ method: 'POST', path: '/v2/crm/accounts', contentType: 'application/json', body: { ...ok, AccountTypeId: 2 ** 31 } }),
        ['body/AccountTypeId must be a valid int32'],
      );
    });

    it('checks content types and the presence of a body', () => {
      assert.match(
        messages({ method: 'POST', path: '/v2/crm/accounts', contentType: 'text/plain', body: 'x' })[0] ?? '',
        /content type text\/plain is not accepted/,
      );
      assert.deepEqual(messages({ method: 'POST', path: '/v2/crm/accounts', contentType: 'application/json' }), [
        'a request body is required for POST /v2/crm/accounts',
      ]);
      assert.deepEqual(
        messages({ method: 'PATCH', path: '/v2/crm/accounts/1', contentType: 'application/json-patch+json', body: [{ op: 'replace', path: '/AccountName', value: 'x' }] }),
        [],
      );
      assert.deepEqual(messages({ method: 'GET', path: '/v2/crm/accounts/summary', body: { a: 1 } }), [
        'a request body is not expected for GET /v2/crm/accounts/summary',
      ]);
    });

    it('checks security form bodies by declared field (case-insensitive) and required fields', () => {
      const form = 'application/x-www-form-urlencoded';
      assert.deepEqual(
        messages({ method: 'POST', path: '/v2/security/authenticate', contentType: form, body: { grantType: 'password', username: 'u', PASSWORD: 'p', tenant: 't' } }),
        [],
      );
      assert.deepEqual(messages({ method: 'POST', path: '/v2/security/authenticate', contentType: form, body: { GrantType: 'password', Scope: 'x' } }), [
        'form field Scope is not declared for POST /v2/security/authenticate',
      ]);
      assert.deepEqual(messages({ method: 'POST', path: '/v2/security/refreshtoken', contentType: 'multipart/form-data; boundary=x', body: { RefreshToken: 'r' } }), [
        'form field AccessToken is required for POST /v2/security/refreshtoken',
      ]);
    });

    it('checks V1 location bodies against the declared V1 contract', () => {
      assert.deepEqual(
        messages({ method: 'POST', path: '/api/crm/locations', contentType: 'application/json', body: { AccountId: 1, LocationName: 'X', Addresses: [{ City: 'Y' }] } }),
        [],
      );
      assert.deepEqual(messages({ method: 'PUT', path: '/api/crm/locations/5', contentType: 'application/json', body: { LocationName: 'X', Foo: 1 } }), [
        'body/AccountId is required',
        'body/Foo is not a declared property',
      ]);
    });

    it('is fast: 100,000 list checks (printed, not asserted)', () => {
      const contract = getContract();
      const started = performance.now();
      for (let i = 1; i <= 100_000; i++) {
        contract.check({ method: 'GET', path: '/v2/crm/accounts/summary', query: { PageSize: '100', PageNumber: String(i), 'Filter.IsActive': 'true' } });
      }
      const ms = performance.now() - started;
      console.log(`      100,000 contract checks in ${ms.toFixed(0)} ms (${((ms * 1000) / 100_000).toFixed(1)} µs each)`);
    });
  });

  describe('over HTTP', () => {
    const bms = useSimulator();

    beforeEach(async () => {
      await bms.admin.delete('/violations');
    });

    it('answers an undeclared query parameter with 400 naming it, and records the violation', async () => {
      const res = await bms.client.get('/v2/crm/accounts/summary', { 'Filter.Foo': 'x' });
      assert.equal(res.status, 400);
      const env = envelope(res);
      assert.equal(env.success, false);
      assert.equal(env.error?.message, 'query parameter Filter.Foo is not declared for GET /v2/crm/accounts/summary');
      const violations = await bms.admin.json<{ method: string; path: string; problems: string[] }[]>(bms.admin.get('/violations'));
      assert.equal(violations.length, 1);
      assert.equal(violations[0]!.method, 'GET');
      assert.equal(violations[0]!.path, '/v2/crm/accounts/summary');
      assert.deepEqual(violations[0]!.problems, ['query parameter Filter.Foo is not declared for GET /v2/crm/accounts/summary']);
    });

    it('answers an undeclared body field and a wrong type with 400, writing nothing', async () => {
      const before = await bms.admin.json<{ accounts: number }>(bms.admin.get('/counts'));
      const res = await bms.client.post('/v2/crm/accounts', {
        AccountName: 'Typo Ltd',
        AccountTypeId: '1',
        BusinessTypeId: 11,
        AccountManagerId: 502,
        AccountStatus: 'Active',
        Locations: [{ LocationName: 'HQ', Addresses: [] }],
      });
      assert.equal(res.status, 400);
      assert.deepEqual(envelope(res).error?.subErrors, ['body/AccountStatus is not a declared property', 'body/AccountTypeId must be integer']);
      const after = await bms.admin.json<{ accounts: number }>(bms.admin.get('/counts'));
      assert.equal(after.accounts, before.accounts);
      assert.equal((await bms.admin.json<unknown[]>(bms.admin.get('/violations'))).length, 1);
    });

    it('records violations even when the token is missing (and still answers 401)', async () => {
      const res = await fetch(`${bms.sim.url}/v2/crm/accounts/summary?Bogus=1`);
      assert.equal(res.status, 401);
      assert.equal((await bms.admin.json<unknown[]>(bms.admin.get('/violations'))).length, 1);
    });

    it('answers unknown paths with 404 and undeclared methods with 405, both recorded', async () => {
      assert.equal((await bms.client.get('/v2/crm/accounts/summary/1001/extra')).status, 404);
      assert.equal((await bms.client.delete('/v2/crm/accounts/1001')).status, 405);
      assert.equal((await bms.client.get('/v3/anything')).status, 404);
      assert.equal((await bms.admin.json<unknown[]>(bms.admin.get('/violations'))).length, 3);
    });

    it('answers malformed JSON with 400', async () => {
      const res = await bms.client.call('POST', '/v2/crm/accounts', { body: '{"AccountName":', headers: { 'content-type': 'application/json' } });
      assert.equal(res.status, 400);
      assert.match(envelope(res).error?.message ?? '', /not valid JSON/);
    });
  });
});
