/** `/v2/security/...`: log-in, refresh, and who am I. */
import { TOKEN_KIND, type TokenPair } from '../auth';
import { fail, ok } from '../http';
import { EMPLOYEE_ID, TENANT_ID } from '../lookups';
import { formatTimestamp } from '../time';
import { asRecord, bStr, type HandlerContext, type RouteTable } from './common';

function tokenDto(pair: TokenPair) {
  return {
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    accessTokenExpireOn: formatTimestamp(pair.accessTokenExpiresAt),
    refreshTokenExpireOn: formatTimestamp(pair.refreshTokenExpiresAt),
  };
}

/**
 * Bad credentials answer HTTP 401 with the envelope (`success:false` and a message). The real
 * status is unknown; the `success-false` fault gives the 200-with-success-false variant.
 */
function authenticate(ctx: HandlerContext) {
  const form = asRecord(ctx.body);
  const grantType = (bStr(form, 'GrantType') ?? '').trim().toLowerCase();
  if (grantType !== 'password') {
    return fail(400, `GrantType '${bStr(form, 'GrantType') ?? ''}' is not supported; use 'password'.`, ['GrantType']);
  }
  const accepted = ctx.sim.auth.checkCredentials({
    tenant: bStr(form, 'Tenant') ?? '',
    username: bStr(form, 'UserName') ?? '',
    password: bStr(form, 'Password') ?? '',
  });
  if (!accepted) return fail(401, 'Invalid tenant, user name or password.');
  return ok(tokenDto(ctx.sim.auth.issue(TOKEN_KIND.v2, EMPLOYEE_ID.apiUser)));
}

function refreshToken(ctx: HandlerContext) {
  const form = asRecord(ctx.body);
  const pair = ctx.sim.auth.refreshPair(bStr(form, 'AccessToken') ?? '', bStr(form, 'RefreshToken') ?? '');
  if (!pair) return fail(401, 'The refresh token is invalid or expired.');
  return ok(tokenDto(pair));
}

function userInfo(ctx: HandlerContext) {
  const me = ctx.sim.store.employee(ctx.userId);
  return ok({
    userId: ctx.userId,
    fullName: me?.fullName ?? null,
    emailAddress: me?.emailAddress ?? null,
    timeStamp: formatTimestamp(Date.now()),
    timeZoneValue: 0,
    timeZoneName: '(UTC) Coordinated Universal Time',
    olsonTimeZoneName: 'Etc/UTC',
    dateFormat: 'MM/dd/yyyy',
    timeFormat: 'hh:mm tt',
    timeFormatWithSeconds: 'hh:mm:ss tt',
    tenantId: TENANT_ID,
    accountId: null,
    locationId: null,
    contactId: null,
    businessName: ctx.sim.store.tenantName,
    userAccessRights: [],
    specialFeatures: [],
    viewsMenus: [],
    queuesMenus: [],
    currencyCode: 'USD',
    cultureCode: 'en-US',
    filesVersionNumber: '1.0.0',
    newTicketingUI: true,
    isUserSystemAdmin: false,
    productName: 'BMS',
    pictureUrl: null,
    openIdRealmId: null,
  });
}

export const securityRoutes: RouteTable = {
  'POST /v2/security/authenticate': authenticate,
  'POST /v2/security/refreshtoken': refreshToken,
  'GET /v2/security/userinfo': userInfo,
  'GET /v2/security/ssostatus': () => ok({ enabled: false, loginEndpointUrl: null }),
};
