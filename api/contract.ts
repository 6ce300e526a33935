/**
 * What the API answers, declared once as zod schemas. The OpenAPI document is generated from them, the
 * services' views are their inferred types, and the web UI imports those types (type-only, so the browser
 * bundle never carries zod). Only pure modules are imported here, so the web UI's compiler can follow it.
 * Request bodies are declared in api/schemas.ts.
 */
import { z } from 'zod';
import { PLANS, ROLES } from '../domain/access';
import { ADOPTION_ACTIONS, ADOPTION_PROGRESS, ADOPTION_STATUSES } from '../domain/adoption';
import { HISTORY_KINDS } from '../domain/history';
import { PROBLEM_KINDS } from '../domain/problems';
import { CHANNEL_KINDS, DELIVERY_STATUSES, NOTIFICATION_EVENTS } from '../domain/notifications';
import { FIELD_KINDS, type FieldSpec, RECORD_FIELDS, RECORD_TYPES, type RecordType, WRITE_ORIGINS } from '../domain/records';
import { HELD_STATES } from '../domain/pull-plan';
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
  lastError: z
    .object({ type: z.string().describe('BMS error class, MappingError, or MissingValueError (the pre-push check found a required value missing)'), message: z.string(), at: timestamp, retrying: z.boolean().optional() })
    .nullable(),
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

export const RunCounts = z.record(z.string(), z.record(z.string(), z.number().optional())).describe('Per entity: seen, created, updated, linked, held (for review), unchanged, orphaned, failed, skipped');
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

export const DependencyStatus = z.enum(['up', 'down']);
export const HealthCheck = z.object({
  status: DependencyStatus,
  latencyMs: z.number().int().describe('How long the check took'),
  error: z.string().optional().describe('Why it is down (the service\'s own words, never another party\'s answer)'),
});

export const BmsReachability = z.object({
  status: z.enum(['ok', 'failed', 'unchecked']).describe('What the last connection test, pull or push of this account showed'),
  error: z.string().nullable(),
  checkedAt: timestamp.nullable(),
  checkedBy: z.enum(['connection_test', 'pull', 'push']).nullable(),
});

export const Health = z.object({
  status: z.enum(['ok', 'degraded', 'down']).describe('down (HTTP 503): the database or Temporal is down; degraded: some account cannot reach its Kaseya BMS'),
  checkedAt: timestamp,
  checks: z.object({
    database: HealthCheck,
    temporal: HealthCheck,
    bms: z.object({
      accounts: z
        .object({ ok: z.number().int(), failed: z.number().int(), unchecked: z.number().int() })
        .describe('Connected accounts by the last known reachability of their Kaseya BMS (no live call per probe)'),
      account: BmsReachability.optional().describe('The caller\'s own account, for an authenticated administrator only'),
    }),
  }),
});
export type Health = z.infer<typeof Health>;
export type BmsReachability = z.infer<typeof BmsReachability>;
export const FieldChangeView = z.object({
  field: z.string(),
  from: z.unknown().describe("Kaseya BMS's value now (null when BMS has no record yet)"),
  to: z.unknown().describe('The documentation value a push would send'),
});
export type FieldChangeView = z.infer<typeof FieldChangeView>;

export const AdoptionItemView = z.object({
  recordType: RecordTypeName,
  recordId: z.uuid(),
  label: z.string().describe("The record's name as people know it (empty when it was deleted)"),
  version: z.number().int().describe('The record version the preview was computed from'),
  action: z
    .enum(ADOPTION_ACTIONS)
    .nullable()
    .describe('What a push would do in Kaseya BMS: create, link (to an existing record with the same natural key), update, unchanged; or nothing: excluded (does not sync), refused (BMS would refuse it), skipped; null while computing'),
  bmsId: z.number().int().nullable().describe('The BMS record it would link to or update'),
  changes: z.array(FieldChangeView).describe('The fields a push would change, BMS value → documentation value'),
  reason: z.string().nullable().describe('Why it would not be pushed or would be refused, or a note on the order of pushes'),
  progress: z.enum(ADOPTION_PROGRESS).nullable().describe('After the confirm: not_queued, queued, pushed or failed; null before'),
  error: z.string().nullable().describe('Why a confirmed record was not queued, or why its push failed'),
});
export type AdoptionItemView = z.infer<typeof AdoptionItemView>;

export const AdoptionView = z.object({
  id: z.uuid().describe('The preview id: confirm this id to push what it shows'),
  status: z.enum(ADOPTION_STATUSES),
  error: z.string().nullable(),
  requestedBy: z.string(),
  createdAt: timestamp,
  computedAt: timestamp.nullable(),
  expiresAt: timestamp.describe('A confirm after this time is refused (409 preview_expired)'),
  confirmedBy: z.string().nullable(),
  confirmedAt: timestamp.nullable(),
  counts: z.record(z.string(), z.number().int()).describe('Items per action, and after the confirm per progress'),
  items: z.array(AdoptionItemView),
});
export type AdoptionView = z.infer<typeof AdoptionView>;

const ImpactSample = z.object({ recordType: RecordTypeName, id: z.uuid(), label: z.string(), reason: z.string() });
const ImpactGroup = z.object({
  count: z.number().int(),
  byType: z.partialRecord(RecordTypeName, z.number().int()),
  sample: z.array(ImpactSample).describe('The first records (oldest first), at most 20'),
});

export const SettingsPreview = z.object({
  orphans: ImpactGroup.describe('Linked records the next pull would orphan: what Kaseya BMS holds for them would stop matching the settings'),
  stopPushing: ImpactGroup.describe('Records whose type or status syncs now and would not: their saves would no longer be pushed'),
  startSync: z
    .array(
      z.object({
        recordType: RecordTypeName,
        typeName: z.string().nullable(),
        status: z.string().nullable(),
        count: z.number().int().nullable().describe('Kaseya BMS records in this selection; null when BMS cannot count it cheaply'),
        atLeast: z.boolean().describe('The count stopped at a bound: at least this many'),
      }),
    )
    .describe('Selections of Kaseya BMS records that would start to sync, counted in BMS'),
  countedBy: z.string().describe('How the BMS counts were made'),
});
export type SettingsPreview = z.infer<typeof SettingsPreview>;
export const ProblemKind = z.enum(PROBLEM_KINDS);
export type ProblemKind = z.infer<typeof ProblemKind>;

export const ProblemRecord = z.object({
  type: RecordTypeName,
  id: z.uuid(),
  name: z.string(),
  organization: z.object({ id: z.uuid(), name: z.string() }).nullable().describe('The organization the record belongs to (null for an organization)'),
  href: z.string().describe("The record's page in the web UI"),
});
export type ProblemRecord = z.infer<typeof ProblemRecord>;

export const ProblemFix = z.object({
  label: z.string().describe('What to do, in plain words'),
  href: z.string().describe("Where to do it in the web UI: the record's field (#field-<name>), the record it waits for, or the Sync Settings section"),
});
export type ProblemFix = z.infer<typeof ProblemFix>;

export const ProblemEntry = z.object({
  kind: ProblemKind,
  record: ProblemRecord,
  cause: z.string().describe('Why the record needs a person, in plain words (for a failed push, BMS\'s reason)'),
  fix: ProblemFix,
  since: timestamp.describe('When the record came to this state'),
  retryable: z.boolean().describe('Whether retry applies (disconnected records are reconnected instead)'),
  waitingFor: ProblemRecord.optional().describe('For a waiting push: the record that must reach Kaseya BMS first'),
});
export type ProblemEntry = z.infer<typeof ProblemEntry>;

export const ProblemCounts = z.record(ProblemKind, z.number().int()).describe('Records of each kind (for the type asked, if any)');
export type ProblemCounts = z.infer<typeof ProblemCounts>;

export const ProblemsPageMeta = z.object({
  counts: ProblemCounts,
  total: z.number().int().describe('All records that need a person (for the type asked, if any)'),
  nextCursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last'),
});
export type ProblemsPageMeta = z.infer<typeof ProblemsPageMeta>;

export const RetryResult = z.object({
  recordType: RecordTypeName,
  id: z.uuid(),
  queued: z.boolean().describe('The push was queued again'),
  state: SyncState.describe('The sync state after the retry'),
  cause: z.string().optional().describe('Why it was not queued (it stays listed)'),
});
export type RetryResult = z.infer<typeof RetryResult>;

export const RetryAllResult = z.object({
  attempted: z.number().int(),
  queued: z.number().int(),
  notQueued: z.number().int(),
  more: z.boolean().describe('More records of the kind remain beyond this bounded batch; retry again for them'),
  results: z.array(RetryResult),
});
export type RetryAllResult = z.infer<typeof RetryAllResult>;
export const REVIEW_STATES = ['open', 'excluded', 'resolved'] as const;
export const REVIEW_ACTIONS = ['match', 'create', 'exclude', 'unexclude', 'unlink', 'reconnect'] as const;

export const ReviewSuggestion = z.object({
  id: z.uuid().describe('The suggested held record (for a documentation record) or documentation record (for a held record)'),
  bmsId: z.number().int().nullable().describe('The BMS id, when the suggestion is a held BMS record'),
  name: z.string(),
  organizationName: z.string().nullable(),
  score: z.number().int().describe('0-100: how alike the two are'),
  reasons: z.array(z.string()).describe('Why, e.g. "same serial number", "name differs only in punctuation, spacing or case"'),
});
export type ReviewSuggestion = z.infer<typeof ReviewSuggestion>;

export const ReviewHeldItem = z.object({
  id: z.uuid(),
  recordType: RecordTypeName,
  bmsId: z.number().int(),
  state: z.enum(HELD_STATES).describe('held: waits for a person; excluded: never suggested; resolved: matched or created'),
  name: z.string(),
  organizationName: z.string().nullable(),
  fields: z.record(z.string(), z.unknown()).describe("The BMS record's synced fields in documentation form"),
  bmsModifiedOn: z.string().nullable(),
  recordId: z.uuid().nullable().describe('The documentation record it was matched to or created as'),
  heldAt: timestamp,
  updatedAt: timestamp,
  suggestions: z.array(ReviewSuggestion).describe('Unlinked documentation records of the same type, best first'),
});
export type ReviewHeldItem = z.infer<typeof ReviewHeldItem>;

export const ReviewRecordItem = z.object({
  id: z.uuid(),
  recordType: RecordTypeName,
  state: z.enum(['unlinked', 'excluded']),
  name: z.string(),
  organizationName: z.string().nullable(),
  syncState: SyncState,
  updatedAt: timestamp,
  suggestions: z.array(ReviewSuggestion).describe('Held BMS records of the same type, best first'),
});
export type ReviewRecordItem = z.infer<typeof ReviewRecordItem>;

export const ReviewList = z.object({ held: z.array(ReviewHeldItem), records: z.array(ReviewRecordItem) });
export type ReviewList = z.infer<typeof ReviewList>;

export const ReviewMeta = z.object({
  type: RecordTypeName,
  state: z.enum(REVIEW_STATES),
  page: z.number().int(),
  pageSize: z.number().int(),
  heldTotal: z.number().int(),
  recordsTotal: z.number().int(),
  poolLimit: z.number().int().describe('Candidates of each side suggestions are ranked among'),
});
export type ReviewMeta = z.infer<typeof ReviewMeta>;

export const ReviewActionResult = z.object({
  action: z.enum(REVIEW_ACTIONS),
  recordType: RecordTypeName,
  heldId: z.uuid().nullable(),
  recordId: z.uuid().nullable(),
  bmsId: z.number().int().nullable(),
  summary: z.string(),
});
export type ReviewActionResult = z.infer<typeof ReviewActionResult>;

export const ReviewBulkResult = z.object({
  index: z.number().int(),
  ok: z.boolean(),
  status: z.number().int().describe('The status the action alone would have been answered with'),
  result: ReviewActionResult.optional(),
  error: ErrorEnvelope.shape.error.optional(),
});
export type ReviewBulkResult = z.infer<typeof ReviewBulkResult>;
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
