/** The shapes of the API's answers that the UI reads (see api/routes and services/). */

export type RecordType = 'organization' | 'location' | 'contact' | 'configuration';
export type Role = 'administrator' | 'manager' | 'editor' | 'read-only';
export type Plan = 'basic' | 'select' | 'enterprise';
export type SyncState = 'not_pushed' | 'queued' | 'synced' | 'failed' | 'excluded' | 'orphaned' | 'disabled';

export interface User {
  id: string;
  accountId: string;
  email: string;
  name: string;
  role: Role;
}

export interface Account {
  id: string;
  name: string;
  plan: Plan;
  createdAt: string;
}

export interface Me {
  kind: 'session' | 'api_key';
  accountId: string;
  userId: string | null;
  role: Role;
  name: string;
  account: Account;
}

export interface Permissions {
  role: Role;
  actions: string[];
}

export type FieldKind = 'text' | 'boolean' | 'date' | 'ref' | 'emails' | 'phones';

export interface FieldMeta {
  name: string;
  kind: FieldKind;
  synced: boolean;
  ref: RecordType | null;
  required: boolean;
  maxLength: number | null;
}

export interface RecordTypeMeta {
  type: RecordType;
  collection: string;
  fields: FieldMeta[];
}

export interface RecordsMeta {
  recordTypes: RecordTypeMeta[];
  syncStates: SyncState[];
}

export interface ListItem {
  value: string;
  label: string | null;
  primary: boolean;
}

export type FieldValue = string | boolean | null | ListItem[];

export interface SyncView {
  state: SyncState;
  message: string;
  bmsId: number | null;
  lastPushedAt: string | null;
  lastPulledAt: string | null;
  lastError: { type: string; message: string; at: string; retrying?: boolean } | null;
  syncDisabled: boolean;
  workflowId: string;
  workflowUrl: string;
  historyUrl: string;
}

export interface RecordJson {
  id: string;
  recordType: RecordType;
  version: number;
  createdAt: string;
  updatedAt: string;
  updatedOrigin: string;
  sync: SyncView;
  [field: string]: unknown;
}

export interface ListMeta {
  page: number;
  pageSize: number;
  total: number;
}

export interface HistoryEntry {
  id: number;
  at: string;
  kind: string;
  origin?: string | null;
  summary: string;
  changes?: unknown;
  workflowId?: string | null;
}

export interface LookupEntry {
  id: number;
  name: string;
  isActive?: boolean;
}

export interface Lookups {
  accountTypes: LookupEntry[];
  businessTypes: LookupEntry[];
  assetCategories: LookupEntry[];
  emailTypes: LookupEntry[];
  phoneTypes: LookupEntry[];
  manufacturers: LookupEntry[];
  countries: LookupEntry[];
  fetchedAt: string | null;
}

export interface TypeAndStatusSection {
  enabled: boolean;
  types: number[];
  statuses: Array<'Active' | 'Inactive'>;
}

export interface SyncSettings {
  organizations: TypeAndStatusSection;
  configurations: TypeAndStatusSection;
  locations: { enabled: boolean };
  contacts: { enabled: boolean };
  pull: { intervalMinutes: number; cron: string | null; overlapMinutes: number };
  contactDefaults: { emailType: string | null; phoneType: string | null };
  [other: string]: unknown;
}

export interface IntegrationView {
  connected: true;
  apiUrl: string;
  v1Url: string | null;
  tenant: string;
  username: string;
  passwordSet: true;
  connectionStatus: string;
  connectionError: string | null;
  connectionCheckedAt: string | null;
  twoWayEnabled: boolean;
  twoWayEnabledAt: string | null;
  paused: boolean;
  scheduleId: string;
  scheduleUrl: string;
  settings: SyncSettings;
}

export type Integration = IntegrationView | { connected: false };

export interface SettingsView {
  settings: SyncSettings;
  twoWayEnabled: boolean;
  paused: boolean;
}

export type RunCounts = Record<string, Record<string, number | undefined>>;

export interface SyncRun {
  id: string;
  workflowId: string;
  runId: string;
  trigger: string;
  status: 'running' | 'completed' | 'failed' | 'skipped';
  counts: RunCounts;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
  workflowUrl: string;
}

export interface RunLog {
  id: number | string;
  at?: string;
  level: string;
  message: string;
  record_type?: string | null;
  record_id?: string | null;
  bms_id?: number | null;
}

export interface RunDetail extends SyncRun {
  logs: RunLog[];
}

export type SyncSummary = Record<RecordType, Record<SyncState, number>>;

export interface BulkResult {
  recordType: RecordType;
  id: string;
  ok: boolean;
  error?: { code: string; message: string };
}
