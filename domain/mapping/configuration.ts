/**
 * Configuration ↔ BMS hardware asset. Pure: safe to import from workflows.
 *
 * Decisions (docs/mapping.md, "Configurations ↔ hardware assets"):
 * - status ↔ `isActive` (Active/Inactive), as for organizations.
 * - type ↔ `categoryId` by the asset category lookup; manufacturer ↔ `ManufacturerId` by the manufacturer
 *   lookup (read from `manufacturer`). `BrandId` is not mapped and is left as BMS holds it.
 * - A manufacturer name BMS does not know refuses the push (MappingError on `manufacturer`): sending
 *   nothing would make the next pull read BMS's empty value back over the person's entry.
 * - Dates: our `YYYY-MM-DD` is sent as the zone-less `YYYY-MM-DDT00:00:00`; a BMS value is read as the
 *   calendar date it is written with (its first ten characters), whatever zone or time follows, because
 *   these are calendar dates and shifting them to UTC would move them a day for any zone east of UTC.
 *   .NET's empty date `0001-01-01` reads as no date.
 * - PUT replaces the whole `HardwareAssetInputDto`, so an update starts from the asset as BMS holds it
 *   (every input field its output shows) and overlays only the fields that changed. `ComputerName` is
 *   input-only: no answer carries it, so no client can keep it; we leave it out rather than send null.
 * - Text is never trimmed or truncated: '' and whitespace read as null, anything else is kept as is.
 */
import type { BmsAsset, BmsAssetSummary } from '../../bms/types';
import { activeFromStatus, type Lookups, lookupId, lookupName, MappingError, statusFromActive, text } from './common';

/** A configuration's synced fields in documentation form (references as record ids). */
export interface ConfigurationSynced {
  organizationId: string | null;
  locationId: string | null;
  contactId: string | null;
  name: string | null;
  type: string | null;
  status: string;
  serialNumber: string | null;
  assetTag: string | null;
  macAddress: string | null;
  primaryIp: string | null;
  defaultGateway: string | null;
  manufacturer: string | null;
  model: string | null;
  operatingSystem: string | null;
  platform: string | null;
  position: string | null;
  purchasedAt: string | null;
  warrantyExpiresAt: string | null;
  notes: string | null;
}

export type ConfigurationRef = 'organizationId' | 'locationId' | 'contactId';
export type ConfigurationAssetFields = Omit<ConfigurationSynced, ConfigurationRef>;

export interface PulledConfiguration {
  fields: ConfigurationAssetFields;
  /** BMS ids of what the asset belongs to: account, account location, contact. */
  refs: Record<ConfigurationRef, number | null>;
}

/** BMS ids the asset input needs: `AccountId`, `AccountLocationId` (both required) and `ContactId`. */
export interface AssetRefs {
  accountId: number;
  accountLocationId: number;
  contactId: number | null;
}

/**
 * `HardwareAssetInputDto`, field by field: the input name and the key of the (normalised, camelCase)
 * output DTO that holds its value. The input and output spell some names differently (`DnsServers` in,
 * `DNSServers` out, both `dnsServers` once normalised), and `ComputerName` has no output at all.
 */
export const ASSET_INPUT_FIELDS: ReadonlyArray<readonly [input: string, output: string | null]> = [
  ['Name', 'name'],
  ['AccountId', 'accountId'],
  ['AccountLocationId', 'accountLocationId'],
  ['ContactId', 'contactId'],
  ['CategoryId', 'categoryId'],
  ['BrandId', 'brandId'],
  ['SerialNumber', 'serialNumber'],
  ['BusinessImpactId', 'businessImpactId'],
  ['StateId', 'stateId'],
  ['LocationInfo', 'locationInfo'],
  ['Description', 'description'],
  ['BarCode', 'barCode'],
  ['AssetTag', 'assetTag'],
  ['VendorId', 'vendorId'],
  ['IsActive', 'isActive'],
  ['ModelNumber', 'modelNumber'],
  ['MachineGroupId', 'machineGroupId'],
  ['IpAddress', 'ipAddress'],
  ['SubnetMask', 'subnetMask'],
  ['DefaultGateway', 'defaultGateway'],
  ['DnsServers', 'dnsServers'],
  ['DhcpEnabled', 'dhcpEnabled'],
  ['DhcpServer', 'dhcpServer'],
  ['WinsEnabled', 'winsEnabled'],
  ['SecondaryWinsServer', 'secondaryWinsServer'],
  ['ConnectionGatewayIp', 'connectionGatewayIp'],
  ['OsType', 'osType'],
  ['OsInfo', 'osInfo'],
  ['MajorVersion', 'majorVersion'],
  ['MinorVersion', 'minorVersion'],
  ['MacAddress', 'macAddress'],
  ['LoginName', 'loginName'],
  ['LastLoginname', 'lastLoginname'],
  ['CurrentUser', 'currentUser'],
  ['ProductName', 'productName'],
  ['MachineVersion', 'machineVersion'],
  ['MotherboardManufacturerId', 'motherboardManufacturerId'],
  ['MotherboardProductCode', 'motherboardProductCode'],
  ['MotherboardSerialNumber', 'motherboardSerialNumber'],
  ['MotherboardVersion', 'motherboardVersion'],
  ['ChassisAssetTag', 'chassisAssetTag'],
  ['ChassisManufacturerId', 'chassisManufacturerId'],
  ['ChassisSerialNumber', 'chassisSerialNumber'],
  ['ChassisType', 'chassisType'],
  ['ChassisVersion', 'chassisVersion'],
  ['BusSpeed', 'busSpeed'],
  ['ManufacturerId', 'manufacturerId'],
  ['MaxMemorySize', 'maxMemorySize'],
  ['MaxMemorySlots', 'maxMemorySlots'],
  ['PrimaryWinsServer', 'primaryWinsServer'],
  ['ComputerName', null],
  ['PurchaseCost', 'purchaseCost'],
  ['WarrantyExpirationDate', 'warrantyExpirationDate'],
  ['ExpirationDate', 'expirationDate'],
  ['AcquisitionDate', 'acquisitionDate'],
  ['FirstCheckIn', 'firstCheckIn'],
  ['LastCheckIn', 'lastCheckIn'],
  ['LastReboot', 'lastReboot'],
];

/** The text fields mapped one to one: our field → the input name (the output key is its camelCase). */
const TEXT_FIELDS = [
  ['serialNumber', 'SerialNumber', 'serialNumber'],
  ['assetTag', 'AssetTag', 'assetTag'],
  ['macAddress', 'MacAddress', 'macAddress'],
  ['primaryIp', 'IpAddress', 'ipAddress'],
  ['defaultGateway', 'DefaultGateway', 'defaultGateway'],
  ['model', 'ModelNumber', 'modelNumber'],
  ['operatingSystem', 'OsInfo', 'osInfo'],
  ['platform', 'OsType', 'osType'],
  ['position', 'LocationInfo', 'locationInfo'],
  ['notes', 'Description', 'description'],
] as const satisfies ReadonlyArray<readonly [keyof ConfigurationAssetFields, string, string]>;

const DATE_FIELDS = [
  ['purchasedAt', 'AcquisitionDate', 'acquisitionDate'],
  ['warrantyExpiresAt', 'WarrantyExpirationDate', 'warrantyExpirationDate'],
] as const satisfies ReadonlyArray<readonly [keyof ConfigurationAssetFields, string, string]>;

const DATE_PREFIX = /^(\d{4})-(\d{2})-(\d{2})(?=$|[T ])/;

/** A BMS date-time (zone-less, zoned or date-only) as the calendar date it names; null when none. */
export function dateFromBms(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const m = DATE_PREFIX.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d] = m;
  const date = `${y}-${mo}-${d}`;
  if (date === '0001-01-01' || !isCalendarDate(date)) return null;
  return date;
}

/** Our `YYYY-MM-DD` as BMS writes date-times without a zone (`YYYY-MM-DDT00:00:00`). */
export function dateToBms(value: string | null | undefined, field: string): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || !isCalendarDate(value)) {
    throw new MappingError(`'${value}' is not a date (YYYY-MM-DD)`, field);
  }
  return `${value}T00:00:00`;
}

function isCalendarDate(date: string): boolean {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const parsed = new Date(Date.UTC(y, m - 1, d));
  parsed.setUTCFullYear(y);
  return parsed.getUTCFullYear() === y && parsed.getUTCMonth() === m - 1 && parsed.getUTCDate() === d;
}

/** A BMS id, or null for none (searchselect shows a missing contact as 0). */
function bmsId(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : null;
}

export function assetToConfiguration(asset: BmsAsset, lookups: Lookups): PulledConfiguration {
  const fields: ConfigurationAssetFields = {
    name: text(asset.name),
    type: text(asset.category) ?? lookupName(lookups.assetCategories, bmsId(asset.categoryId)),
    status: statusFromActive(asset.isActive),
    serialNumber: null,
    assetTag: null,
    macAddress: null,
    primaryIp: null,
    defaultGateway: null,
    manufacturer: text(asset.manufacturer) ?? lookupName(lookups.manufacturers, bmsId(asset.manufacturerId)),
    model: null,
    operatingSystem: null,
    platform: null,
    position: null,
    purchasedAt: null,
    warrantyExpiresAt: null,
    notes: null,
  };
  for (const [field, , output] of TEXT_FIELDS) fields[field] = text(asset[output]);
  for (const [field, , output] of DATE_FIELDS) fields[field] = dateFromBms(asset[output]);
  return {
    fields,
    refs: { organizationId: bmsId(asset.accountId), locationId: bmsId(asset.accountLocationId), contactId: bmsId(asset.contactId) },
  };
}

/**
 * What the list summary (searchselect) tells about a configuration: enough to decide whether the asset
 * syncs (type, status, account) and to match a natural key, not the whole record.
 */
export function assetSummaryToConfiguration(summary: BmsAssetSummary, lookups: Lookups) {
  return {
    fields: {
      name: text(summary.assetName),
      type: text(summary.categoryName) ?? lookupName(lookups.assetCategories, bmsId(summary.categoryId)),
      status: statusFromActive(summary.isActive),
      serialNumber: text(summary.serialNumber),
      primaryIp: text(summary.ipAddress),
    },
    refs: { organizationId: bmsId(summary.accountId), contactId: bmsId(summary.contactId) },
  };
}

function categoryId(type: string | null | undefined, lookups: Lookups): number {
  const id = lookupId(lookups.assetCategories, type);
  if (id === null) {
    throw new MappingError(
      type ? `Type '${type}' does not exist in Kaseya BMS` : 'A configuration needs a type to be pushed to Kaseya BMS',
      'type',
    );
  }
  return id;
}

function manufacturerId(name: string | null | undefined, lookups: Lookups): number | null {
  if (!text(name)) return null;
  const id = lookupId(lookups.manufacturers, name);
  if (id === null) {
    throw new MappingError(
      `Manufacturer '${name}' does not exist in Kaseya BMS; choose one of its manufacturers or clear the field`,
      'manufacturer',
    );
  }
  return id;
}

/** Input fields for the configuration fields present in `fields` (references excluded). */
export function configurationAssetInput(fields: Partial<ConfigurationSynced>, lookups: Lookups): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if ('name' in fields) {
    if (!text(fields.name)) throw new MappingError('A configuration needs a name', 'name');
    body.Name = fields.name;
  }
  if ('type' in fields) body.CategoryId = categoryId(fields.type, lookups);
  if ('status' in fields) body.IsActive = activeFromStatus(fields.status);
  if ('manufacturer' in fields) body.ManufacturerId = manufacturerId(fields.manufacturer, lookups);
  for (const [field, input] of TEXT_FIELDS) if (field in fields) body[input] = text(fields[field]);
  for (const [field, input] of DATE_FIELDS) if (field in fields) body[input] = dateToBms(fields[field], field);
  return body;
}

/** The create body: every mapped field, plus the required account, location and category. */
export function configurationToAssetPost(cfg: ConfigurationAssetFields, lookups: Lookups, refs: AssetRefs): Record<string, unknown> {
  if (!text(cfg.name)) throw new MappingError('A configuration needs a name', 'name');
  return {
    ...configurationAssetInput(cfg, lookups),
    AccountId: refs.accountId,
    AccountLocationId: refs.accountLocationId,
    ContactId: refs.contactId,
  };
}

/** Every input field the asset's output shows, under its input name (what a full-replace PUT must resend). */
export function assetInputFromOutput(asset: BmsAsset): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [input, output] of ASSET_INPUT_FIELDS) {
    if (output === null) continue;
    const value = asset[output];
    body[input] = value === undefined ? null : value;
  }
  return body;
}

/**
 * The PUT body for an update: the asset as BMS holds it, with the changed fields overlaid. `refs` holds
 * only the references to change (a missing key keeps BMS's value).
 */
export function configurationToAssetPut(
  current: BmsAsset,
  changed: Partial<ConfigurationSynced>,
  lookups: Lookups,
  refs: Partial<AssetRefs> = {},
): Record<string, unknown> {
  const body = { ...assetInputFromOutput(current), ...configurationAssetInput(changed, lookups) };
  if (refs.accountId !== undefined) body.AccountId = refs.accountId;
  if (refs.accountLocationId !== undefined) body.AccountLocationId = refs.accountLocationId;
  if (refs.contactId !== undefined) body.ContactId = refs.contactId;
  return body;
}
