import assert from 'node:assert/strict';
import { BmsTestClient, CREDENTIALS, envelope, request, useSimulator, waitFor, ZONELESS_TIMESTAMP } from './helpers';

interface TokenDto {
  accessToken: string;
  refreshToken: string;
  accessTokenExpireOn: string;
  refreshTokenExpireOn: string;
}

describe('simulator: authentication', () => {
  const bms = useSimulator({}, { login: false });

  afterEach(async () => {
    await bms.admin.put('/config', { tokenTtlSeconds: 900 });
  });

  it('logs in with form-urlencoded PascalCase fields and returns camelCase, JWT-looking tokens', async () => {
    const res = await request(bms.sim.url, 'POST', '/v2/security/authenticate', {
      form: { GrantType: 'password', UserName: CREDENTIALS.username, Password: CREDENTIALS.password, Tenant: CREDENTIALS.tenant },
    });
    assert.equal(res.status, 200);
    const env = envelope<TokenDto>(res);
    assert.equal(env.success, true);
    assert.equal(env.error, null);
    assert.deepEqual(Object.keys(env.result), ['accessToken', 'refreshToken', 'accessTokenExpireOn', 'refreshTokenExpireOn']);
    assert.match(env.result.accessToken, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.match(env.result.accessTokenExpireOn, ZONELESS_TIMESTAMP);
    const ttl = Date.parse(`${env.result.accessTokenExpireOn}Z`) - Date.now();
    assert.ok(ttl > 880_000 && ttl <= 900_000, `access token lives ~15 min, got ${ttl} ms`);
  });

  it('accepts camelCase field names and a lower-case tenant', async () => {
    const res = await request(bms.sim.url, 'POST', '/v2/security/authenticate', {
      form: { grantType: 'password', userName: 'API.USER', password: CREDENTIALS.password, tenant: 'demo msp' },
    });
    assert.equal(res.status, 200, res.text);
  });

  it('accepts multipart/form-data', async () => {
    const form = new FormData();
    form.append('GrantType', 'password');
    form.append('UserName', CREDENTIALS.username);
    form.append('Password', CREDENTIALS.password);
    form.append('Tenant', CREDENTIALS.tenant);
    const res = await request(bms.sim.url, 'POST', '/v2/security/authenticate', { body: form });
    assert.equal(res.status, 200, res.text);
    assert.ok(envelope<TokenDto>(res).result.accessToken);
  });

  it('refuses bad credentials with 401 and success:false carrying a message', async () => {
    const res = await request(bms.sim.url, 'POST', '/v2/security/authenticate', {
      form: { GrantType: 'password', UserName: CREDENTIALS.username, Password: 'wrong', Tenant: CREDENTIALS.tenant },
    });
    assert.equal(res.status, 401);
    const env = envelope(res);
    assert.equal(env.success, false);
    assert.equal(env.result, null);
    assert.match(env.error?.message ?? '', /password/i);
  });

  it('refuses a login without GrantType as a contract violation', async () => {
    const res = await request(bms.sim.url, 'POST', '/v2/security/authenticate', {
      form: { UserName: CREDENTIALS.username, Password: CREDENTIALS.password, Tenant: CREDENTIALS.tenant },
    });
    assert.equal(res.status, 400);
    assert.match(envelope(res).error?.message ?? '', /form field GrantType is required/);
  });

  it('refuses a JSON login body (the document declares form bodies only)', async () => {
    const res = await request(bms.sim.url, 'POST', '/v2/security/authenticate', {
      json: { GrantType: 'password', UserName: CREDENTIALS.username, Password: CREDENTIALS.password, Tenant: CREDENTIALS.tenant },
    });
    assert.equal(res.status, 400);
    assert.match(envelope(res).error?.message ?? '', /content type application\/json is not accepted/);
  });

  it('answers 401 with an empty body for a missing, unknown or expired token', async () => {
    const none = await request(bms.sim.url, 'GET', '/v2/security/userinfo');
    assert.equal(none.status, 401);
    assert.equal(none.text, '');
    const unknown = await request(bms.sim.url, 'GET', '/v2/security/userinfo', { headers: { authorization: 'Bearer nope' } });
    assert.equal(unknown.status, 401);
    assert.equal(unknown.text, '');

    const client = await new BmsTestClient(bms.sim.url).login();
    assert.equal((await client.get('/v2/security/userinfo')).status, 200);
    const expired = await bms.admin.post('/tokens/expire');
    assert.equal(expired.status, 200);
    const after = await client.get('/v2/security/userinfo');
    assert.equal(after.status, 401);
    assert.equal(after.text, '');
    assert.match(after.headers.get('www-authenticate') ?? '', /invalid_token/);
  });

  it('expires tokens after tokenTtlSeconds', async () => {
    await bms.admin.put('/config', { tokenTtlSeconds: 0.3 });
    const client = await new BmsTestClient(bms.sim.url).login();
    assert.equal((await client.get('/v2/security/userinfo')).status, 200);
    await waitFor(async () => (await client.get('/v2/security/userinfo')).status === 401, { timeoutMs: 5000, what: 'token expiry' });
  });

  it('refreshes a pair (also after the access token expired); a refresh token works once', async () => {
    const login = await request(bms.sim.url, 'POST', '/v2/security/authenticate', {
      form: { GrantType: 'password', UserName: CREDENTIALS.username, Password: CREDENTIALS.password, Tenant: CREDENTIALS.tenant },
    });
    const first = envelope<TokenDto>(login).result;
    await bms.admin.post('/tokens/expire');
    const refreshed = await request(bms.sim.url, 'POST', '/v2/security/refreshtoken', {
      form: { AccessToken: first.accessToken, RefreshToken: first.refreshToken },
    });
    assert.equal(refreshed.status, 200, refreshed.text);
    const second = envelope<TokenDto>(refreshed).result;
    assert.notEqual(second.accessToken, first.accessToken);
    const me = await request(bms.sim.url, 'GET', '/v2/security/userinfo', { headers: { authorization: `Bearer ${second.accessToken}` } });
    assert.equal(me.status, 200);

    const again = await request(bms.sim.url, 'POST', '/v2/security/refreshtoken', {
      form: { AccessToken: first.accessToken, RefreshToken: first.refreshToken },
    });
    assert.equal(again.status, 401);
    assert.equal(envelope(again).success, false);
  });

  it('returns userinfo whose userId can be used as an account manager', async () => {
    const client = await new BmsTestClient(bms.sim.url).login();
    const me = await client.result<{ userId: number; businessName: string; timeZoneName: string }>(client.get('/v2/security/userinfo'));
    assert.equal(me.businessName, CREDENTIALS.tenant);
    const created = await client.result<{ accountManagerId: number }>(
      client.post('/v2/crm/accounts', {
        AccountName: 'Managed By Me Ltd',
        AccountTypeId: 1,
        BusinessTypeId: 11,
        AccountManagerId: me.userId,
        Locations: [{ LocationName: 'HQ', Addresses: [{ Address1: '1 Road' }] }],
      }),
    );
    assert.equal(created.accountManagerId, me.userId);
  });

  it('issues V1 tokens at /api/token; V1 and V2 tokens are not interchangeable', async () => {
    const res = await request(bms.sim.url, 'POST', '/api/token', {
      form: { grant_type: 'password', username: CREDENTIALS.username, password: CREDENTIALS.password, tenant: CREDENTIALS.tenant },
    });
    assert.equal(res.status, 200, res.text);
    const body = res.body as { access_token: string; token_type: string; expires_in: number };
    assert.equal(body.token_type, 'bearer');
    assert.equal(body.expires_in, 900);

    const v1 = await new BmsTestClient(bms.sim.url).loginV1();
    const v2 = await new BmsTestClient(bms.sim.url).login();
    assert.equal((await v1.get('/api/crm/locations/2000001')).status, 200);
    assert.equal((await v2.get('/api/crm/locations/2000001')).status, 401);
    assert.equal((await v1.get('/v2/security/userinfo')).status, 401);

    const bad = await request(bms.sim.url, 'POST', '/api/token', {
      form: { grant_type: 'password', username: CREDENTIALS.username, password: 'wrong', tenant: CREDENTIALS.tenant },
    });
    assert.equal(bad.status, 400);
    assert.equal((bad.body as { error: string }).error, 'invalid_grant');
  });
});
