/**
 * Request schemas. Record bodies are derived from domain/records.ts, so the API accepts exactly the
 * declared fields (unknown fields are refused), each with its type and length.
 */
import { z } from 'zod';
import { type FieldSpec, RECORD_FIELDS, RECORD_TYPES, type RecordFields, type RecordType } from '../domain/records';
import { PROBLEM_KINDS } from '../domain/problems';
import { SyncSettingsChangeSchema } from '../domain/settings';
import { HISTORY_FILTER_NAMES, type HistoryFilter } from '../domain/history';
import { UNMATCHED_CHOICES } from '../domain/settings';
import { SYNC_STATES } from '../domain/sync-state';
import { ROLES } from '../domain/access';
import { ADOPTION_MAX_RECORDS } from '../domain/adoption';
import { RECORD_ORIGINS } from '../domain/records';
import { SUBSCRIBABLE_EVENTS } from '../domain/notifications';
import { BULK_ACTIONS } from '../services/records';
import { MIN_PASSWORD_LENGTH } from '../services/passwords';
import { REVIEW_STATES } from './contract';
import { checkBaseUrlSyntax } from '../lib/outbound';

const emailItem = z.strictObject({
  value: z.string().trim().min(3).max(255).regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address'),
  label: z.string().max(100).nullable().default(null),
  primary: z.boolean().default(false),
});

const phoneItem = z.strictObject({
  value: z.string().trim().min(1).max(50),
  label: z.string().max(100).nullable().default(null),
  primary: z.boolean().default(false),
});

function fieldSchema(spec: FieldSpec, required: boolean): z.ZodType {
  switch (spec.kind) {
    case 'text': {
      const s = z.string().max(spec.maxLength ?? 255);
      return required ? s.trim().min(1, 'must not be empty') : s.nullable();
    }
    case 'boolean':
      return z.boolean();
    case 'date':
      // PostgreSQL has no year 0; ISO 8601's 0000 would be 1 BC.
      return z.iso.date('must be a date (YYYY-MM-DD)').refine((d) => d >= '0001-01-01', 'must be a date in year 1 or later').nullable();
    case 'ref':
      return required ? z.uuid('must be a record id') : z.uuid('must be a record id').nullable();
    case 'emails':
      return z.array(emailItem).max(20);
    case 'phones':
      return z.array(phoneItem).max(20);
  }
}

export function recordBodySchema(type: RecordType, mode: 'create' | 'update'): z.ZodType<Partial<RecordFields>> {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, spec] of Object.entries(RECORD_FIELDS[type] as Record<string, FieldSpec>)) {
    const required = Boolean(spec.required);
    const schema = fieldSchema(spec, required);
    shape[name] = mode === 'create' && required ? schema : schema.optional();
  }
  // The shape is built from the field table, so its output is the record's fields.
  return z.strictObject(shape) as unknown as z.ZodType<Partial<RecordFields>>;
}

/** Versions are PostgreSQL integers. */
export const RECORD_VERSION_MAX = 2_147_483_647;

/**
 * A PATCH body: the fields to change and, optionally, the `version` of the record they were based on
 * (the same as If-Match): when the record has moved on since, the save is refused (409) instead of
 * overwriting the other change. Without a version the save applies to whatever is stored.
 */
export function recordUpdateSchema(type: RecordType) {
  const fields = recordBodySchema(type, 'update') as unknown as z.ZodObject;
  return fields.extend({
    version: z
      .number()
      .int('must be a whole number')
      .min(1)
      .max(RECORD_VERSION_MAX)
      .optional()
      .describe('The version the change is based on (as in the ETag); a record at another version answers 409 version_conflict'),
  }) as unknown as z.ZodType<Partial<RecordFields> & { version?: number }>;
}

export const IdParams = z.object({ id: z.uuid('must be a record id') });

export const ListQuery = z.strictObject({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
  search: z.string().trim().max(200).optional(),
  organizationId: z.uuid().optional(),
  syncState: z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.enum(SYNC_STATES)))
    .optional(),
  origin: z
    .enum(RECORD_ORIGINS)
    .optional()
    .describe('How the records came to be: created here (web UI or API), imported, or pulled from Kaseya BMS'),
});

export const NewApiKey = z.strictObject({ name: z.string().trim().min(1).max(100), role: z.enum(ROLES) });
export const NewUser = z.strictObject({
  email: z.email().max(255),
  name: z.string().trim().min(1).max(200),
  role: z.enum(ROLES),
  password: z.string().min(10, 'must be at least 10 characters').max(1024),
});
export const UserChange = z.strictObject({ role: z.enum(ROLES).optional(), disabled: z.boolean().optional() });

const newPassword = z.string().min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`).max(1024);
export const OwnPasswordChange = z.strictObject({ currentPassword: z.string().min(1).max(1024), newPassword });
export const PasswordReset = z.strictObject({ password: newPassword });

export const LoginBody = z.strictObject({
  email: z.string().trim().min(3).max(255),
  password: z.string().min(1).max(1024),
  accountId: z.uuid('must be an account id').optional().describe('Needed only when the email and password open users in several accounts'),
});

const httpUrl = z
  .url('must be a URL')
  .max(500)
  .refine((u) => /^https?:\/\//i.test(u), 'must start with http:// or https://');

/** A BMS base URL: an origin and optional path prefix, nothing the URL parser would quietly rewrite. */
const bmsBaseUrl = httpUrl.superRefine((url, ctx) => {
  const check = checkBaseUrlSyntax(url);
  if (!check.ok) ctx.addIssue({ code: 'custom', message: check.reason });
});

export const ConnectionBody = z.strictObject({
  apiUrl: bmsBaseUrl,
  v1Url: bmsBaseUrl.nullable().optional(),
  tenant: z.string().trim().min(1).max(200),
  username: z.string().trim().min(1).max(200),
  password: z.string().min(1).max(500).optional(),
  unmatched: z
    .enum(UNMATCHED_CHOICES)
    .optional()
    .describe(
      'For a new connection only: what its first pull does with BMS records that match no documentation record by natural key, for every record type (create, the default, or hold for review); later per type in Sync Settings',
    ),
});

/**
 * A Sync Settings change: only the sections and fields to change, merged into the stored settings, which
 * are then checked as a whole (e.g. type ids against the BMS lookups).
 */
export const SettingsBody = z.strictObject({
  settings: SyncSettingsChangeSchema.optional().describe('The Sync Settings fields to change; the rest keep their stored values'),
  twoWayEnabled: z.boolean().optional(),
});

/**
 * A time bound of a log filter: a date (YYYY-MM-DD, UTC) or a date-time with its offset. A date as `from`
 * starts at its midnight; as `to` it includes that whole day (the bound is the next midnight, exclusive).
 */
function timeBound(end: 'from' | 'to') {
  return z
    .union([z.iso.date(), z.iso.datetime({ offset: true })], { error: 'must be a date (YYYY-MM-DD) or a date-time with offset (ISO 8601)' })
    .refine((v) => v >= '0001-01-01', 'must be in year 1 or later')
    .transform((v) => {
      if (v.length > 10) return new Date(v);
      const day = new Date(`${v}T00:00:00Z`);
      if (end === 'to') day.setUTCDate(day.getUTCDate() + 1);
      return day;
    })
    .optional();
}

/** `format` asks for an export (every matching row, capped) instead of a page. */
const ExportFormatParam = z.enum(['csv', 'json']).optional();

export const RUN_STATUSES = ['running', 'completed', 'failed', 'skipped'] as const;
export const RUN_TRIGGERS = ['schedule', 'manual'] as const;

export const RunsQuery = z
  .strictObject({
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(200).default(50),
    status: z.enum(RUN_STATUSES).optional(),
    trigger: z.enum(RUN_TRIGGERS).optional(),
    from: timeBound('from'),
    to: timeBound('to'),
    format: ExportFormatParam,
  })
  .refine((q) => !(q.from && q.to) || q.from < q.to, { path: ['to'], message: 'must be after from' });

export const HistoryQuery = z
  .strictObject({
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(200).default(50),
    kind: z.enum(HISTORY_FILTER_NAMES as [HistoryFilter, ...HistoryFilter[]]).optional(),
    recordType: z.enum(RECORD_TYPES).optional(),
    from: timeBound('from'),
    to: timeBound('to'),
    format: ExportFormatParam,
  })
  .refine((q) => !(q.from && q.to) || q.from < q.to, { path: ['to'], message: 'must be after from' });

/** A record's own history: optionally one kind of entry. */
export const RecordHistoryQuery = z.strictObject({
  kind: z.enum(HISTORY_FILTER_NAMES as [HistoryFilter, ...HistoryFilter[]]).optional(),
  format: ExportFormatParam,
});

export const ManageBody = z.strictObject({
  action: z.enum(BULK_ACTIONS),
  records: z
    .array(z.strictObject({ recordType: z.enum(RECORD_TYPES), id: z.uuid('must be a record id') }))
    .min(1)
    .max(500),
});

export const ProblemsQuery = z.strictObject({
  kind: z.enum(PROBLEM_KINDS).optional(),
  type: z.enum(RECORD_TYPES).optional().describe('Only records of this type'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional().describe('From the previous page\'s meta.nextCursor'),
});

export const RetryOneBody = z.strictObject({
  recordType: z.enum(RECORD_TYPES),
  recordId: z.uuid('must be a record id'),
});

export const RetryAllBody = z.strictObject({
  kind: z.enum(PROBLEM_KINDS),
  recordType: z.enum(RECORD_TYPES).optional(),
});

const recipient = z.string().trim().min(3).max(255).regex(/^[^\s@,<>]+@[^\s@,<>]+$/, 'must be an email address');
const webhookUrl = z.string().max(2000).superRefine((url, ctx) => {
  const check = checkBaseUrlSyntax(url);
  if (!check.ok) ctx.addIssue({ code: 'custom', message: check.reason });
});
const channelEvents = z.array(z.enum(SUBSCRIBABLE_EVENTS)).min(1).max(SUBSCRIBABLE_EVENTS.length);

/** A new notification channel: a webhook (its secret is generated) or email recipients. */
export const NewChannel = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('webhook'),
    name: z.string().trim().min(1).max(100),
    url: webhookUrl,
    events: channelEvents.default([...SUBSCRIBABLE_EVENTS]),
    enabled: z.boolean().default(true),
  }),
  z.strictObject({
    kind: z.literal('email'),
    name: z.string().trim().min(1).max(100),
    recipients: z.array(recipient).min(1).max(20),
    events: channelEvents.default([...SUBSCRIBABLE_EVENTS]),
    enabled: z.boolean().default(true),
  }),
]);

/** A channel change: the fields to change; `version` (or If-Match) refuses a change based on an old one (409). */
export const ChannelChange = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  url: webhookUrl.optional().describe('Webhook channels only'),
  recipients: z.array(recipient).min(1).max(20).optional().describe('Email channels only'),
  events: channelEvents.optional(),
  enabled: z.boolean().optional(),
  rotateSecret: z.literal(true).optional().describe('Webhook channels: make a new signing secret (shown once in the answer)'),
  version: z.number().int().min(1).max(RECORD_VERSION_MAX).optional(),
});

export const DeliveriesQuery = z.strictObject({
  channelId: z.uuid('must be a channel id').optional(),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
});

/** The request bodies as a client writes them (the web UI's request types come from here). */
export type LoginRequest = z.input<typeof LoginBody>;
export type ConnectionRequest = z.input<typeof ConnectionBody>;
export type SettingsRequest = z.input<typeof SettingsBody>;
export type ManageRequest = z.input<typeof ManageBody>;
export type NewApiKeyRequest = z.input<typeof NewApiKey>;
export type NewUserRequest = z.input<typeof NewUser>;
export type UserChangeRequest = z.input<typeof UserChange>;
export type OwnPasswordChangeRequest = z.input<typeof OwnPasswordChange>;
export type PasswordResetRequest = z.input<typeof PasswordReset>;
const recordRefs = z
  .array(z.strictObject({ recordType: z.enum(RECORD_TYPES), id: z.uuid('must be a record id') }))
  .min(1)
  .max(ADOPTION_MAX_RECORDS, `at most ${ADOPTION_MAX_RECORDS} records in one preview`);

export const AdoptionPreviewBody = z.strictObject({ records: recordRefs.describe('The records to preview the push of') });

export const AdoptionConfirmBody = z.strictObject({
  records: recordRefs
    .optional()
    .describe('The records of the preview to push (default: every one the preview would create, link or update)'),
});
export type RetryOneRequest = z.input<typeof RetryOneBody>;
export type RetryAllRequest = z.input<typeof RetryAllBody>;
export const ReviewQuery = z.strictObject({
  type: z.enum(RECORD_TYPES).default('organization'),
  state: z.enum(REVIEW_STATES).default('open'),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(25),
});

const heldId = z.uuid('must be a held record id');
const recordId = z.uuid('must be a record id');
const bmsId = z.number().int('must be a whole number').min(1).max(2_147_483_647);

/** Exclude / un-exclude: a held BMS record (`heldId`) or a documentation record (`recordType` + `recordId`). */
function excludeBody<A extends 'exclude' | 'unexclude'>(action: A) {
  return z
    .strictObject({ action: z.literal(action), heldId: heldId.optional(), recordType: z.enum(RECORD_TYPES).optional(), recordId: recordId.optional() })
    .superRefine((body, ctx) => {
      const onRecord = body.recordType !== undefined || body.recordId !== undefined;
      if (body.heldId !== undefined && onRecord) ctx.addIssue({ code: 'custom', path: ['heldId'], message: 'give heldId or recordType and recordId, not both' });
      else if (body.heldId === undefined && !onRecord) ctx.addIssue({ code: 'custom', path: ['heldId'], message: 'is required (or recordType and recordId)' });
      else if (onRecord && body.recordType === undefined) ctx.addIssue({ code: 'custom', path: ['recordType'], message: 'is required with recordId' });
      else if (onRecord && body.recordId === undefined) ctx.addIssue({ code: 'custom', path: ['recordId'], message: 'is required with recordType' });
    });
}

/** One review action: on a held BMS record (`heldId`) or a documentation record (`recordType` + `recordId`). */
export const ReviewActionBody = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('match'), heldId, recordId }).describe('Link the held BMS record to this documentation record (first-sync merge)'),
  z.strictObject({ action: z.literal('create'), heldId }).describe('Create a documentation record from the held BMS record, linked'),
  excludeBody('exclude').describe('Never suggest this held BMS record (nor create it), or this documentation record'),
  excludeBody('unexclude').describe('Suggest it again'),
  z.strictObject({ action: z.literal('unlink'), recordType: z.enum(RECORD_TYPES), recordId }).describe('Undo a match: the BMS record is held again'),
  z
    .strictObject({ action: z.literal('reconnect'), recordType: z.enum(RECORD_TYPES), recordId, bmsId: bmsId.optional() })
    .describe('Re-link an orphaned record: to the BMS record with this id (checked in BMS), or without one by natural key among held records'),
]);
export type ReviewActionBody = z.infer<typeof ReviewActionBody>;

export const REVIEW_BULK_MAX = 100;
export const ReviewBulkBody = z.strictObject({ actions: z.array(ReviewActionBody).min(1).max(REVIEW_BULK_MAX) });
export type NewChannelRequest = z.input<typeof NewChannel>;
export type ChannelChangeRequest = z.input<typeof ChannelChange>;
