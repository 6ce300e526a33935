/**
 * Every V2 DTO the simulator returns has exactly the properties the vendor document declares, under
 * their .NET camelCase names.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { dotnetCamelCase } from '../../simulator/casing';
import { OPENAPI_DOCUMENT_PATH } from '../../simulator/contract';
import { type Dto, request, useSimulator } from './helpers';

interface Schema {
  properties?: Record<string, Schema>;
}

const schemas = (JSON.parse(fs.readFileSync(OPENAPI_DOCUMENT_PATH, 'utf8')) as { components: { schemas: Record<string, Schema> } }).components
  .schemas;

function declaredKeys(schemaName: string): string[] {
  const schema = schemas[schemaName];
  assert.ok(schema?.properties, `schema ${schemaName} exists`);
  return Object.keys(schema.properties).map(dotnetCamelCase);
}

function assertShape(dto: unknown, schemaName: string): void {
  assert.ok(dto && typeof dto === 'object', `${schemaName}: got an object`);
  assert.deepEqual(Object.keys(dto), declaredKeys(schemaName), `${schemaName} keys`);
}

describe('simulator: DTO shapes match the vendor document', () => {
  const bms = useSimulator();

  it('converts names the .NET way', () => {
    assert.equal(dotnetCamelCase('AccountName'), 'accountName');
    assert.equal(dotnetCamelCase('DNSServers'), 'dnsServers');
    assert.equal(dotnetCamelCase('DHCPEnabled'), 'dhcpEnabled');
    assert.equal(dotnetCamelCase('IPAddress'), 'ipAddress');
    assert.equal(dotnetCamelCase('IsPoc'), 'isPoc');
    assert.equal(dotnetCamelCase('Id'), 'id');
    assert.equal(dotnetCamelCase('MFACode'), 'mfaCode');
  });

  it('accounts, locations, addresses, lookups', async () => {
    const account = await bms.client.result(bms.client.get('/v2/crm/accounts/summary/1001'));
    assertShape(account, 'AccountSummaryOutputDto');
    const location = (account.locations as Dto[])[0];
    assertShape(location, 'AccountLocationOutputDto');
    assertShape((location?.addresses as Dto[])[0], 'AccountAddressOutputDto');
    assertShape(await bms.client.result(bms.client.get('/v2/crm/accounts/1001/locations/2000001')), 'AccountLocationOutputDto');
    assertShape((await bms.client.result<Dto[]>(bms.client.get('/v2/crm/accounts/1001/locations/lookup')))[0], 'AccountLocationLookupOutputDto');
    assertShape((await bms.client.result<Dto[]>(bms.client.get('/v2/crm/accounts/lookup')))[0], 'AccountLookupOutputDto');
    assertShape((await bms.client.result<Dto[]>(bms.client.get('/v2/system/accounttypes/lookup')))[0], 'AccountTypeLookupOutputDto');
    assertShape((await bms.client.result<Dto[]>(bms.client.get('/v2/system/lookup/AssetCategory')))[0], 'LookupOutputDto');
    assertShape((await bms.client.result<Dto[]>(bms.client.get('/v2/system/statuses/lookup')))[0], 'StatusLookupOutputDto');
    assertShape((await bms.client.result<Dto[]>(bms.client.get('/v2/system/locations/lookup')))[0], 'LocationLookupOutputDto');
  });

  it('contacts in all their forms', async () => {
    const summary = await bms.client.result(bms.client.get('/v2/crm/contacts/summary/4000001'));
    assertShape(summary, 'ContactsSummaryOutputDto');
    assertShape((summary.emails as Dto[])[0], 'ContactEmailOutputDto');
    assertShape((summary.phones as Dto[])[0], 'ContactPhoneOutputDto');
    assertShape((await bms.client.result<Dto[]>(bms.client.get('/v2/crm/contacts/search')))[0], 'ContactsSearchSelectOutputDto');
    assertShape((await bms.client.result<Dto[]>(bms.client.get('/v2/crm/accounts/1001/contacts/lookup')))[0], 'ContactLookupOutputDto');
    assertShape(await bms.client.result(bms.client.get('/v2/crm/accounts/1001/contacts/4000001/summaryinfo')), 'ContactSummaryInfoOutputDto');
    const created = await bms.client.result(bms.client.post('/v2/crm/contacts/summary', { FirstName: 'Shape', AccountId: 1001, LocationId: 2000001 }));
    assertShape(created, 'ContactSummaryOutputDto');
    const put = await bms.client.result(bms.client.put(`/v2/crm/contacts/${String(created.id)}`, { AccountId: 1001, LocationId: 2000001, FirstName: 'Shape', IsActive: true }));
    assertShape(put, 'ContactOutputDto');
    const emails = await bms.client.result(
      bms.client.patch(`/v2/crm/contacts/${String(created.id)}/emails`, [{ Operation: 0, EmailAddress: 'shape@example.com', TypeId: 51 }]),
    );
    assertShape(emails, 'ContactEmailPatchResultDto');
    const phones = await bms.client.result(bms.client.patch(`/v2/crm/contacts/${String(created.id)}/phones`, [{ Operation: 0, PhoneNumber: '1', TypeId: 61 }]));
    assertShape(phones, 'ContactPhonePatchResultDto');
  });

  it('hardware assets, tokens, user info, SSO status', async () => {
    assertShape(await bms.client.result(bms.client.get('/v2/servicedesk/hardwareasset/7000001')), 'HardwareAssetOutputDto');
    assertShape((await bms.client.result<Dto[]>(bms.client.get('/v2/servicedesk/hardwareasset/searchselect')))[0], 'HardwareAssetsListSearchSelectOutputDto');
    assertShape(await bms.client.result(bms.client.get('/v2/security/userinfo')), 'UserInfoOutputDto');
    const sso = await request(bms.sim.url, 'GET', '/v2/security/ssostatus', { query: { Tenant: 'Demo MSP' } });
    assertShape((sso.body as { result: unknown }).result, 'SsoStatus');
    const token = await request(bms.sim.url, 'POST', '/v2/security/authenticate', {
      form: { GrantType: 'password', UserName: 'api.user', Password: 'demo-password', Tenant: 'Demo MSP' },
    });
    assertShape((token.body as { result: unknown }).result, 'TokenOutputDto');
  });

  it('error envelopes carry ErrorInfo', async () => {
    const res = await bms.client.get('/v2/crm/accounts/summary/1');
    assertShape((res.body as { error: unknown }).error, 'ErrorInfo');
  });
});
