/** `/v2/servicedesk/hardwareasset/...`. */
import { assetDto, assetSearchSelectDto } from '../dto';
import { ApiError } from '../errors';
import { ok } from '../http';
import { ASSET_INPUT_FIELDS, type AssetFields, emptyAssetFields } from '../store';
import {
  asRecord,
  bBool,
  bDate,
  bInt,
  bNum,
  bStr,
  contains,
  filterKey,
  type HandlerContext,
  pageOf,
  pInt,
  qBool,
  qInt,
  qStr,
  type RouteTable,
  rowsOf,
} from './common';

/**
 * `HardwareAssetInputDto` to row fields. POST and PUT both replace every input field: a field left
 * out becomes null, and the nullable booleans take a new asset's defaults (`IsActive` true, the others false).
 */
export function assetFieldsFromBody(b: Record<string, unknown>): AssetFields {
  const fields: Record<string, unknown> = {};
  for (const [input, key, kind] of ASSET_INPUT_FIELDS) {
    switch (kind) {
      case 'string':
        fields[key] = bStr(b, input);
        break;
      case 'int':
        fields[key] = bInt(b, input);
        break;
      case 'double':
        fields[key] = bNum(b, input);
        break;
      case 'date':
        fields[key] = bDate(b, input);
        break;
      case 'bool':
        fields[key] = bBool(b, input);
        break;
    }
  }
  // A null only replaces a nullable field; required and non-nullable fields keep their defaults.
  const result: Record<string, unknown> = { ...emptyAssetFields() };
  for (const [key, value] of Object.entries(fields)) if (value !== null || result[key] === null) result[key] = value;
  return result as unknown as AssetFields;
}

function parseCategoryIds(text: string | undefined): Set<number> | undefined {
  if (text === undefined) return undefined;
  const ids = new Set<number>();
  for (const part of text.split(',')) {
    const t = part.trim();
    if (t === '') continue;
    if (!/^\d+$/.test(t)) throw new ApiError(400, `Filter.CategoryIds must be a comma-separated list of ids, got '${text}'.`, ['Filter.CategoryIds']);
    ids.add(Number(t));
  }
  return ids;
}

/** The only asset list: no `totalRecords`, no modified filter. */
function searchSelect(ctx: HandlerContext) {
  const { store } = ctx.sim;
  const q = ctx.query;
  const categories = parseCategoryIds(qStr(q, 'Filter.CategoryIds'));
  const assetName = qStr(q, 'Filter.AssetName');
  const machineGroup = qStr(q, 'Filter.MachineGroupId');
  const locationName = qStr(q, 'Filter.LocationName');
  const serial = qStr(q, 'Filter.SerialNumber');
  const description = qStr(q, 'Filter.Description');
  const ip = qStr(q, 'Filter.IPAddress');
  const accountId = qInt(q, 'Filter.AccountId');
  const contactId = qInt(q, 'Filter.ContactId');
  const contactName = qStr(q, 'Filter.ContactName');
  const excludedId = qInt(q, 'Filter.ExcludedId');
  const isActive = qBool(q, 'Filter.IsActive');
  const ids = store.cachedIds(filterKey('assets/searchselect', q), () => {
    const source = accountId === undefined ? store.assets.keys() : store.assetIdsOfAccount(accountId);
    const out: number[] = [];
    for (const id of source) {
      const a = store.assets.get(id);
      if (!a || id === excludedId) continue;
      if (isActive !== undefined && a.isActive !== isActive) continue;
      if (categories && !categories.has(a.categoryId)) continue;
      if (contactId !== undefined && a.contactId !== contactId) continue;
      if (!contains(a.name, assetName) || !contains(a.machineGroupId, machineGroup) || !contains(a.serialNumber, serial)) continue;
      if (!contains(a.description, description) || !contains(a.ipAddress, ip)) continue;
      if (locationName !== undefined && !contains(store.locations.get(a.accountLocationId)?.locationName, locationName)) continue;
      if (contactName !== undefined) {
        const c = a.contactId === null ? undefined : store.contacts.get(a.contactId);
        if (!c || !contains(`${c.firstName} ${c.lastName ?? ''}`, contactName)) continue;
      }
      out.push(id);
    }
    return out;
  });
  return ok(rowsOf(store.assets, pageOf(ids, ctx)).map((a) => assetSearchSelectDto(store, a)));
}

function getAsset(ctx: HandlerContext) {
  return ok(assetDto(ctx.sim.store, ctx.sim.store.getAsset(pInt(ctx.params, 'assetId'))));
}

function createAsset(ctx: HandlerContext) {
  const row = ctx.sim.store.createAsset(assetFieldsFromBody(asRecord(ctx.body)), ctx.userId);
  return ok(assetDto(ctx.sim.store, row));
}

function replaceAsset(ctx: HandlerContext) {
  const { store } = ctx.sim;
  const id = store.getAsset(pInt(ctx.params, 'assetId')).id;
  const row = store.replaceAsset(id, assetFieldsFromBody(asRecord(ctx.body)), ctx.userId);
  return ok(assetDto(store, row));
}

function deleteAsset(ctx: HandlerContext) {
  ctx.sim.store.deleteAsset(pInt(ctx.params, 'Id'));
  return { status: 200 };
}

export const assetRoutes: RouteTable = {
  'GET /v2/servicedesk/hardwareasset/searchselect': searchSelect,
  'GET /v2/servicedesk/hardwareasset/{assetId}': getAsset,
  'POST /v2/servicedesk/hardwareasset': createAsset,
  'PUT /v2/servicedesk/hardwareasset/{assetId}': replaceAsset,
  'DELETE /v2/servicedesk/hardwareasset/{Id}': deleteAsset,
  'GET /v2/servicedesk/hardwareasset/{deviceId}/status': () => ok({ isOnline: false }),
};
