/**
 * Kaseya BMS V2 data shapes as this client sees them: the vendor document's PascalCase names in the
 * .NET camelCase form the wire uses (`DNSServers` → `dnsServers`). Responses are normalised to these
 * names whatever casing the server sends (see wire.ts). Request bodies use the document's own
 * PascalCase names, exactly as declared.
 */

export interface BmsAddress {
  id: number;
  address1?: string | null;
  address2?: string | null;
  city?: string | null;
  state?: string | null;
  zipCode?: string | null;
  countryId?: number | null;
  country?: string | null;
  phone?: string | null;
  fax?: string | null;
  emailAddress?: string | null;
  isMain?: boolean;
  isBilling?: boolean;
  modifiedOn?: string | null;
}

export interface BmsAccountLocation {
  id: number;
  locationName?: string | null;
  isMain?: boolean;
  isActive?: boolean;
  modifiedOn?: string | null;
  addresses?: BmsAddress[] | null;
}

export interface BmsAccount {
  id: number;
  createdOn?: string | null;
  modifiedOn?: string | null;
  parentId?: number | null;
  accountCode?: string | null;
  accountTypeId?: number | null;
  accountType?: string | null;
  accountName?: string | null;
  businessTypeId?: number | null;
  accountManagerId?: number | null;
  description?: string | null;
  website?: string | null;
  isActive?: boolean;
  locations?: BmsAccountLocation[] | null;
}

export interface BmsAccountLookup {
  id: number;
  name?: string | null;
  isActive?: boolean;
}

export interface BmsContactEmail {
  id?: number;
  emailAddress?: string | null;
  emailTypeId?: number;
  emailType?: string | null;
  isDefault?: boolean;
}

export interface BmsContactPhone {
  id?: number;
  phone?: string | null;
  /** Some outputs name the number `phoneNumber`; both are read. */
  phoneNumber?: string | null;
  phoneTypeId?: number;
  phoneType?: string | null;
  isDefault?: boolean;
}

export interface BmsContact {
  id: number;
  createdOn?: string | null;
  modifiedOn?: string | null;
  accountId?: number;
  accountName?: string | null;
  locationId?: number | null;
  locationName?: string | null;
  firstName?: string | null;
  middleName?: string | null;
  lastName?: string | null;
  jobTitle?: string | null;
  /** Summary output calls the point-of-contact flag `isPoc`; ContactOutputDto calls it `poc`. */
  isPoc?: boolean | null;
  poc?: boolean | null;
  isActive?: boolean | null;
  emails?: BmsContactEmail[] | null;
  phones?: BmsContactPhone[] | null;
}

export interface BmsContactSearchItem {
  id: number;
  accountId?: number;
  locationId?: number;
  firstName?: string | null;
  lastName?: string | null;
  emailAddress?: string | null;
  isActive?: boolean;
}

export interface BmsAssetSummary {
  id: number;
  categoryId?: number;
  categoryName?: string | null;
  assetName?: string | null;
  serialNumber?: string | null;
  ipAddress?: string | null;
  accountId?: number;
  contactId?: number;
  locationName?: string | null;
  isActive?: boolean;
}

export interface BmsAsset {
  id: number;
  name?: string | null;
  accountId?: number | null;
  accountLocationId?: number | null;
  contactId?: number | null;
  categoryId?: number | null;
  category?: string | null;
  brandId?: number | null;
  brand?: string | null;
  serialNumber?: string | null;
  stateId?: number | null;
  locationInfo?: string | null;
  description?: string | null;
  assetTag?: string | null;
  isActive?: boolean;
  modelNumber?: string | null;
  ipAddress?: string | null;
  defaultGateway?: string | null;
  macAddress?: string | null;
  osType?: string | null;
  osInfo?: string | null;
  manufacturerId?: number | null;
  manufacturer?: string | null;
  acquisitionDate?: string | null;
  warrantyExpirationDate?: string | null;
  expirationDate?: string | null;
  createdOn?: string | null;
  modifiedOn?: string | null;
  /** The remaining ~60 output fields are kept as they come, for a full-replace PUT. */
  [field: string]: unknown;
}

export interface BmsLookupItem {
  id: number;
  name?: string | null;
  isActive?: boolean;
  isDefault?: boolean;
}

export interface BmsUserInfo {
  userId: number;
  tenantId?: number;
  businessName?: string | null;
  timeZoneName?: string | null;
  olsonTimeZoneName?: string | null;
}

export interface BmsToken {
  accessToken: string;
  refreshToken?: string | null;
  accessTokenExpireOn?: string | null;
  refreshTokenExpireOn?: string | null;
}

/** A JSON Patch operation as the vendor document declares it (`Operation` schema). */
export interface BmsPatchOperation {
  op: 'replace' | 'add' | 'remove' | 'test';
  path: string;
  value?: unknown;
}

/** Contact email/phone sub-resource operations (RelatedItemOperationType). */
export const RELATED_ITEM_OPERATION = { add: 0, update: 1, delete: 2 } as const;

export interface BmsEmailPatch {
  Operation: 0 | 1 | 2;
  EmailAddress?: string | null;
  NewEmailAddress?: string | null;
  TypeId?: number | null;
  IsDefault?: boolean | null;
}

export interface BmsPhonePatch {
  Operation: 0 | 1 | 2;
  PhoneNumber?: string | null;
  NewPhoneNumber?: string | null;
  TypeId?: number | null;
  IsDefault?: boolean | null;
}

/**
 * V1 location (legacy API, PascalCase on the wire; normalised to camelCase like V2). V1's answer shapes
 * are not documented: the address may come nested (`addresses[]`) or flat on the location itself
 * (`address1`, `address2`, `city`, `state`, `zipCode`, `countryId`, …). Readers accept both.
 */
export interface BmsV1Location extends BmsFlatAddress {
  id: number;
  accountId?: number;
  locationName?: string | null;
  isMain?: boolean;
  isActive?: boolean;
  modifiedOn?: string | null;
  addresses?: BmsAddress[] | null;
}

/** The address fields a flat V1 location carries on itself. */
export type BmsFlatAddress = Partial<Pick<BmsAddress, 'address1' | 'address2' | 'city' | 'state' | 'zipCode' | 'countryId' | 'country' | 'phone' | 'fax'>>;
