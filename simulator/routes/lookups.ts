/** `/v2/system/...` lookups. */
import { ok } from '../http';
import { ACCOUNT_TYPES, lookupTableByName, MSP_LOCATIONS, TICKET_STATUSES } from '../lookups';
import { asRecord, bBool, bStr, type HandlerContext, type RouteTable } from './common';

function tableName(ctx: HandlerContext): string {
  const v = ctx.params.tableName;
  return typeof v === 'string' ? v : '';
}

/** Tenant lookups start empty (their table names are unknown); a POST adds a row and answers with the table. */
function tenantLookupRows(ctx: HandlerContext) {
  return ctx.sim.tenantLookups.get(tableName(ctx).toLowerCase()) ?? [];
}

function addTenantLookup(ctx: HandlerContext) {
  const b = asRecord(ctx.body);
  const key = tableName(ctx).toLowerCase();
  const rows = ctx.sim.tenantLookups.get(key) ?? [];
  rows.push({
    id: 900 + rows.length + 1,
    name: bStr(b, 'Name') ?? '',
    description: bStr(b, 'Description'),
    isActive: bBool(b, 'IsActive') ?? false,
    isDefault: false,
  });
  ctx.sim.tenantLookups.set(key, rows);
  return ok(rows.map(({ id, name, isActive, isDefault }) => ({ id, name, isActive, isDefault })));
}

export const lookupRoutes: RouteTable = {
  'GET /v2/system/accounttypes/lookup': () => ok(ACCOUNT_TYPES),
  'GET /v2/system/lookup/{tableName}': (ctx) => ok(lookupTableByName(tableName(ctx))),
  'GET /v2/system/tenantlookup/{tableName}': (ctx) =>
    ok(tenantLookupRows(ctx).map(({ id, name, isActive, isDefault }) => ({ id, name, isActive, isDefault }))),
  'POST /v2/system/tenantlookup/{tableName}': addTenantLookup,
  'GET /v2/system/statuses/lookup': () => ok(TICKET_STATUSES),
  'GET /v2/system/locations/lookup': () => ok(MSP_LOCATIONS),
};
