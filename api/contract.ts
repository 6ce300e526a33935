/**
 * What the API answers, declared once as zod schemas. The OpenAPI document is generated from them, the
 * services' views are their inferred types, and the web UI imports those types (type-only, so the browser
 * bundle never carries zod). Only pure modules are imported here, so the web UI's compiler can follow it.
 * Request bodies are declared in api/schemas.ts.
 */
import { z } from 'zod';
import { PLANS, ROLES } from '../domain/access';
import { HISTORY_KINDS } from '../domain/history';
import { CHANNEL_KINDS, DELIVERY_STATUSES, NOTIFICATION_EVENTS } from '../domain/notifications';
import { FIELD_KINDS, type FieldSpec, RECORD_FIELDS, RECORD_TYPES, type RecordType, WRITE_ORIGINS } from '../domain/records';
import { SyncSettingsSchema } from '../domain/settings';
import { SYNC_STATES } from '../domain/sync-state';

/** Timestamps are ISO 8601 strings. */
const timestamp = z.string();

/**
 * One problem with a request, in every `details.issues` list: `field` is the dotted path of the field at
 * fault as it sits in the request (empty for the request as a whole), `code` says what kind of problem it is.
 */
export const ValidationIssue = z.object({
  field: z.string().describe('Dotted path of the field at fault, e.g. emails.0.value or settings.pull.cron; empty for the whole request'),
  message: z.string(),
  code: z.string().describe('The kind of problem, e.g. invalid_type, too_big, unrecognized_keys, custom'),
});
export type ValidationIssue = z.infer<typeof ValidationIssue>;

export const ErrorEnvelope = z.object({
  error: z.object({
    code: z.string().describe('Stable machine-readable code, e.g. validation_error, read_only_field, plan_required'),
    message: z.string().describe('What went wrong, naming the field when one is at fault'),
    details: z
      .looseObject({
        field: z.string().optional().describe('The field at fault'),
        fields: z.array(z.string()).optional().describe('The fields at fault, when several are'),
        issues: z.array(ValidationIssue).optional().describe('Every problem found with the request'),
      })
      .optional()
      .describe('More about the error; besides the fields named here, codes add their own (e.g. currentVersion, accounts)'),
  }),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;
export type ErrorDetails = NonNullable<ErrorEnvelope['error']['details']>;

export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;
export const Plan = z.enum(PLANS);
export type Plan = z.infer<typeof Plan>;
export const SyncState = z.enum(SYNC_STATES);
export type SyncState = z.infer<typeof SyncState>;
export const RecordTypeName = z.enum(RECORD_TYPES);

export const PageMeta = z.object({ page: z.number().int(), pageSize: z.number().int(), total: z.number().int() });
export type PageMeta = z.infer<typeof PageMeta>;

export const SyncView = z.object({
  state: SyncState,
  message: z.string().describe('The sentence shown to people; R5 texts verbatim'),
  bmsId: z.number().int().nullable(),
  lastPushedAt: timestamp.nullable(),
  lastPulledAt: timestamp.nullable(),
  lastError: z.object({ type: z.string(), message: z.string(), at: timestamp, retrying: z.boolean().optional() }).nullable(),
  live: z.boolean().describe('Whether the record syncs with a Kaseya BMS record: it has one, and its link is neither orphaned nor disabled'),
  workflowId: z.string().describe('The record push workflow in Temporal'),
  workflowUrl: z.string().describe('The workflow in the Temporal Web UI'),
  historyUrl: z.string().describe("All of the record's workflows in the Temporal Web UI"),
});
export type SyncView = z.infer<typeof SyncView>;

export const ListItem = z.object({ value: z.string(), label: z.string().nullable(), primary: z.boolean() });
export type ListItem = z.infer<typeof ListItem>;

function fieldOut(spec: FieldSpec): z.ZodType {
  switch (spec.kind) {
    case 'boolean':
      return z.boolean();
    case 'emails':
    case 'phones':
      return z.array(ListItem);
    default:
      return z.string().nullable();
  }
}

const RecordBase = z.object({
  id: z.uuid(),
  recordType: RecordTypeName,
  version: z.number().int(),
  createdAt: timestamp,
  updatedAt: timestamp,
  updatedOrigin: z.enum(WRITE_ORIGINS),
  sync: SyncView,
});

/** A record as the API shows it: its fields (from domain/records.ts) flattened beside its id, version and sync object. */
export function recordJsonSchema(type: RecordType) {
  const fields: Record<string, z.ZodType> = {};
  for (const [name, spec] of Object.entries(RECORD_FIELDS[type] as Record<string, FieldSpec>)) {
    fields[name] = fieldOut(spec).describe(spec.synced ? 'Synced with Kaseya BMS' : 'Documentation only');
  }
  return RecordBase.extend({ recordType: z.literal(type), ...fields });
}

export type FieldValue = string | boolean | null | ListItem[];
/** Any record type's JSON: the fields vary by type (see /meta/records), so they are read by name. */
export type RecordJson = z.infer<typeof RecordBase> & { [field: string]: unknown };

export const HistoryEntry = z.object({
  id: z.number().int(),
  at: timestamp,
  accountId: z.uuid(),
  recordType: RecordTypeName,
  recordId: z.uuid(),
  kind: z.enum(HISTORY_KINDS),
  origin: z.string().nullable().optional(),
  summary: z.string(),
  changes: z.unknown().optional().describe('{field: {from, to}} for the fields a change moved'),
  workflowId: z.string().nullable().optional(),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

export const ImportResult = z.object({ created: z.number().int(), ids: z.array(z.uuid()) });

export const Account = z.object({ id: z.uuid(), name: z.string(), plan: Plan, createdAt: timestamp });
export type Account = z.infer<typeof Account>;

export const User = z.object({ id: z.uuid(), accountId: z.uuid(), email: z.string(), name: z.string(), role: Role });
export type User = z.infer<typeof User>;

export const UserView = User.extend({ disabled: z.boolean(), createdAt: timestamp });
export type UserView = z.infer<typeof UserView>;

export const Session = z.object({ token: z.string(), expiresAt: timestamp, user: User, account: Account });
export type Session = z.infer<typeof Session>;

export const Me = z.object({
  kind: z.enum(['session', 'api_key']),
  accountId: z.uuid(),
  userId: z.uuid().nullable(),
  role: Role.describe('For an API key, the role it acts with now'),
  name: z.string().describe("The user's name or the API key's"),
  apiKeyId: z.uuid().nullable(),
  account: Account,
});
export type Me = z.infer<typeof Me>;

export const Permissions = z.object({ role: Role, actions: z.array(z.string()) });
export type Permissions = z.infer<typeof Permissions>;

export const ApiKeyCreator = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('operator') }),
    z.object({ kind: z.literal('user'), userId: z.uuid().nullable(), name: z.string().nullable(), email: z.string().nullable() }),
    z.object({ kind: z.literal('api_key'), apiKeyId: z.uuid().nullable(), name: z.string().nullable() }),
  ])
  .describe("What made it: a user, another API key, or the operator's scripts; the creator's fields are null once it is deleted");
export type ApiKeyCreator = z.infer<typeof ApiKeyCreator>;

export const ApiKeyView = z.object({
  id: z.uuid(),
  name: z.string(),
  role: Role.describe('The role it was granted'),
  effectiveRole: Role.nullable().describe('The role it acts with now: its own, lowered to that of whatever made it; null when not live'),
  live: z.boolean().describe('Whether it authenticates now: unrevoked, and the user or key that made it still enabled and live'),
  createdBy: ApiKeyCreator,
  prefix: z.string(),
  createdAt: timestamp,
  lastUsedAt: timestamp.nullable(),
  revokedAt: timestamp.nullable(),
});
export type ApiKeyView = z.infer<typeof ApiKeyView>;

export const NewApiKeyAnswer = z.object({
  id: z.uuid(),
  key: z.string().describe('The key itself, shown this once'),
  prefix: z.string(),
  name: z.string(),
  role: Role,
  note: z.string(),
});
export type NewApiKeyAnswer = z.infer<typeof NewApiKeyAnswer>;

export const FieldMeta = z.object({
  name: z.string(),
  kind: z.enum(FIELD_KINDS),
  synced: z.boolean(),
  ref: RecordTypeName.nullable(),
  required: z.boolean(),
  maxLength: z.number().int().nullable(),
});
export type FieldMeta = z.infer<typeof FieldMeta>;
export const RecordTypeMeta = z.object({ type: RecordTypeName, collection: z.string(), fields: z.array(FieldMeta) });
export type RecordTypeMeta = z.infer<typeof RecordTypeMeta>;
export const RecordsMeta = z.object({ recordTypes: z.array(RecordTypeMeta), syncStates: z.array(SyncState) });
export type RecordsMeta = z.infer<typeof RecordsMeta>;

export const LookupEntry = z.object({ id: z.number().int(), name: z.string(), isActive: z.boolean().optional() });
export type LookupEntry = z.infer<typeof LookupEntry>;

/** The BMS lookup tables as last read from BMS (empty until the connection is tested). */
export const Lookups = z.object({
  accountTypes: z.array(LookupEntry),
  businessTypes: z.array(LookupEntry),
  assetCategories: z.array(LookupEntry),
  emailTypes: z.array(LookupEntry),
  phoneTypes: z.array(LookupEntry),
  manufacturers: z.array(LookupEntry),
  countries: z.array(LookupEntry),
  userId: z.number().int().nullable().describe('The BMS user id of the API user'),
  fetchedAt: timestamp.nullable(),
});
export type Lookups = z.infer<typeof Lookups>;

export type SyncSettings = z.infer<typeof SyncSettingsSchema>;

export const IntegrationView = z.object({
  connected: z.literal(true),
  apiUrl: z.string(),
  v1Url: z.string().nullable(),
  tenant: z.string(),
  username: z.string(),
  passwordSet: z.literal(true).describe('Never the password itself'),
  connectionStatus: z.enum(['unchecked', 'ok', 'failed']),
  connectionError: z.string().nullable(),
  connectionCheckedAt: timestamp.nullable(),
  twoWayEnabled: z.boolean(),
  twoWayEnabledAt: timestamp.nullable(),
  paused: z.boolean(),
  pauseReason: z.string().nullable().describe('Why the sync is paused (null when it runs)'),
  pausedAutomatically: z
    .boolean()
    .describe('The sync paused itself after consecutive failed pulls; saving a working connection (PUT) or Resume resumes it'),
  scheduleId: z.string(),
  scheduleUrl: z.string().describe('The pull Schedule in the Temporal Web UI'),
  settings: SyncSettingsSchema,
});
export type IntegrationView = z.infer<typeof IntegrationView>;

export const Integration = z.union([IntegrationView, z.object({ connected: z.literal(false) })]);
export type Integration = z.infer<typeof Integration>;

export const SettingsView = z.object({ settings: SyncSettingsSchema, twoWayEnabled: z.boolean(), paused: z.boolean() });
export type SettingsView = z.infer<typeof SettingsView>;

export const RunCounts = z.record(z.string(), z.record(z.string(), z.number().optional())).describe('Per entity: seen, created, updated, linked, unchanged, orphaned, failed, skipped');
export type RunCounts = z.infer<typeof RunCounts>;

export const SyncRun = z.object({
  id: z.uuid(),
  accountId: z.uuid(),
  workflowId: z.string(),
  runId: z.string(),
  trigger: z.string(),
  status: z.enum(['running', 'completed', 'failed', 'skipped']),
  counts: RunCounts,
  error: z.string().nullable(),
  startedAt: timestamp,
  finishedAt: timestamp.nullable(),
  workflowUrl: z.string().describe('The pull workflow run in the Temporal Web UI'),
});
export type SyncRun = z.infer<typeof SyncRun>;

export const RunLog = z.object({
  id: z.number().int(),
  sync_run_id: z.uuid(),
  at: timestamp,
  level: z.enum(['info', 'warn', 'error']),
  message: z.string(),
  record_type: z.string().nullable(),
  record_id: z.uuid().nullable(),
  bms_id: z.number().int().nullable(),
});
export type RunLog = z.infer<typeof RunLog>;

export const RunDetail = SyncRun.extend({ logs: z.array(RunLog).describe('The run\'s log, oldest first') });
export type RunDetail = z.infer<typeof RunDetail>;

export const SyncSummary = z.record(RecordTypeName, z.record(SyncState, z.number().int()));
export type SyncSummary = z.infer<typeof SyncSummary>;

export const BulkResult = z.object({
  recordType: RecordTypeName,
  id: z.uuid(),
  ok: z.boolean(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type BulkResult = z.infer<typeof BulkResult>;

export const SyncTriggered = z.object({ scheduleId: z.string() });

export const NotificationEventKind = z.enum(NOTIFICATION_EVENTS);
export type NotificationEventKind = z.infer<typeof NotificationEventKind>;

export const ChannelView = z.object({
  id: z.uuid(),
  kind: z.enum(CHANNEL_KINDS),
  name: z.string(),
  url: z.string().nullable().describe('Webhook address (webhook channels)'),
  recipients: z.array(z.string()).describe('Email addresses (email channels)'),
  secretSet: z.boolean().describe('Webhook channels: a signing secret is stored (never returned after it is made)'),
  events: z.array(NotificationEventKind),
  enabled: z.boolean(),
  version: z.number().int(),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type ChannelView = z.infer<typeof ChannelView>;

export const NewChannelAnswer = ChannelView.extend({
  secret: z.string().nullable().describe('Webhook channels: the signing secret, shown this once'),
});
export type NewChannelAnswer = z.infer<typeof NewChannelAnswer>;

export const NotificationEventView = z.object({
  kind: NotificationEventKind,
  accountId: z.uuid(),
  occurredAt: timestamp,
  title: z.string(),
  text: z.string(),
  details: z.record(z.string(), z.unknown()),
});

export const DeliveryView = z.object({
  id: z.uuid(),
  channelId: z.uuid(),
  channelName: z.string(),
  channelKind: z.enum(CHANNEL_KINDS),
  eventKind: NotificationEventKind,
  event: NotificationEventView,
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  responseCode: z.number().int().nullable().describe('The receiver\'s HTTP status, or the SMTP server\'s reply code'),
  createdAt: timestamp,
  updatedAt: timestamp,
  deliveredAt: timestamp.nullable(),
  workflowUrl: z.string().describe('The delivery workflow in the Temporal Web UI'),
});
export type DeliveryView = z.infer<typeof DeliveryView>;

export const TestSent = z.object({ deliveryIds: z.array(z.uuid()) });
export type TestSent = z.infer<typeof TestSent>;
