/**
 * The API's OpenAPI 3.1 document, generated from the same zod schemas that validate requests, so the
 * document and the behaviour cannot drift apart. Served at GET /api/v1/openapi.json.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { RECORD_COLLECTIONS, RECORD_TYPES } from '../domain/records';
import {
  Account,
  AdoptionView,
  ApiKeyView,
  BulkResult,
  ReviewActionResult,
  ReviewBulkResult,
  ReviewList,
  ReviewMeta,
  ChannelView,
  DeliveryView,
  NewChannelAnswer,
  TestSent,
  ErrorEnvelope,
  Health,
  HistoryEntry,
  ImportResult,
  Integration,
  IntegrationView,
  Lookups,
  Me,
  NewApiKeyAnswer,
  PageMeta,
  Permissions,
  ProblemEntry,
  ProblemsPageMeta,
  RetryAllResult,
  RetryResult,
  RecordsMeta,
  recordJsonSchema,
  RunDetail,
  Session,
  SettingsPreview,
  SettingsView,
  SyncRun,
  SyncSummary,
  SyncTriggered,
  User,
  UserView,
} from './contract';
import {
  AdoptionConfirmBody,
  AdoptionPreviewBody,
  ChannelChange,
  ConnectionBody,
  DeliveriesQuery,
  IdParams,
  NewChannel,
  ListQuery,
  LoginBody,
  ManageBody,
  NewApiKey,
  NewUser,
  OwnPasswordChange,
  PasswordReset,
  ProblemsQuery,
  ReviewActionBody,
  ReviewBulkBody,
  ReviewQuery,
  recordBodySchema,
  RetryAllBody,
  RetryOneBody,
  recordUpdateSchema,
  HistoryQuery,
  RecordHistoryQuery,
  RunsQuery,
  SettingsBody,
  UserChange,
} from './schemas';
import { EXPORT_MAX_ROWS } from './export';
import { IDEMPOTENCY_KEY_MAX_LENGTH } from './preconditions';
import { IDEMPOTENCY_KEY_TTL_HOURS } from '../db/idempotency';
import { MAX_JSON_DEPTH } from './validate';
import { ADOPTION_MAX_RECORDS, ADOPTION_PREVIEW_TTL_MINUTES } from '../domain/adoption';

function json(schema: z.ZodType, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/** A single record's answer carries its version as a weak ETag. */
function withEtag(response: ReturnType<typeof json>) {
  return {
    ...response,
    headers: { ETag: { description: 'The record\'s version, W/"<version>"; send it back as If-Match to PATCH', schema: { type: 'string' as const } } },
  };
}

const CreateHeaders = z.object({
  'Idempotency-Key': z
    .string()
    .max(IDEMPOTENCY_KEY_MAX_LENGTH)
    .optional()
    .describe(
      `Printable ASCII, at most ${IDEMPOTENCY_KEY_MAX_LENGTH} characters (e.g. a UUID). A repeat with the same key within ${IDEMPOTENCY_KEY_TTL_HOURS} h ` +
        'gets the first answer again (with Idempotent-Replayed: true) instead of a second record; the key with a different body is refused (422 idempotency_key_reused). ' +
        'Keys are per account; only a create that succeeded is remembered.',
    ),
});

const UpdateHeaders = z.object({
  'If-Match': z
    .string()
    .optional()
    .describe('The ETag the change is based on (W/"<version>" or "<version>"), like the body\'s version; without either, the save applies to whatever is stored'),
});

const errors = {
  400: json(
    ErrorEnvelope,
    `Invalid request (malformed JSON, JSON nested deeper than ${MAX_JSON_DEPTH} levels, wrong types, unknown fields, text with NUL characters or unpaired surrogates, dates before year 1)`,
  ),
  401: json(ErrorEnvelope, 'Not authenticated'),
  403: json(ErrorEnvelope, 'Not allowed for this role or plan, or granting more than the caller has (role_ceiling)'),
  404: json(ErrorEnvelope, 'Not found in this account'),
  422: json(ErrorEnvelope, 'Refused by a rule (e.g. a read-only synced field)'),
};

/** A list answer that is a JSON page, or with `format` a CSV or JSON export file. */
function listOrExport(item: z.ZodType, description: string) {
  return {
    description,
    content: {
      'application/json': { schema: z.object({ data: z.array(item), meta: PageMeta.or(ExportMeta) }) },
      'text/csv': { schema: z.string().describe('A header row, then one row per item; text cells starting with = + - @ tab or CR are prefixed with \'') },
    },
  };
}

const ExportMeta = z.object({ total: z.number().int(), exported: z.number().int(), truncated: z.boolean(), maxRows: z.number().int() });

export function buildOpenApiDocument(): object {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'A session token from POST /auth/login (a person: saves are pushed in two-way mode) or an API key (automation: never pushed automatically)',
  });
  const route = (config: Omit<RouteConfig, 'responses'> & { responses: RouteConfig['responses'] }) =>
    registry.registerPath({ security: [{ bearer: [] }], ...config, responses: { ...errors, ...config.responses } });

  registry.registerPath({
    method: 'post',
    path: '/auth/login',
    tags: ['Auth'],
    summary: 'Log in (a session for the web UI)',
    request: { body: { content: { 'application/json': { schema: LoginBody } } } },
    responses: {
      200: json(z.object({ data: Session }), 'A session, with the user and account it opens'),
      401: errors[401],
      409: json(ErrorEnvelope, 'account_required: the email and password open several accounts, listed in details.accounts; send one as accountId'),
      429: json(ErrorEnvelope, 'too_many_attempts: too many wrong passwords for this email (from this address, or from all)'),
      503: json(ErrorEnvelope, 'login_busy: too many passwords are being checked at once; retry after Retry-After seconds'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/health',
    tags: ['Meta'],
    summary:
      'Each dependency: the database, Temporal, and how many accounts reach their Kaseya BMS (last known, no live call). No credential needed; ' +
      'an administrator who sends one also sees their own account\'s reachability and its error.',
    responses: {
      200: json(z.object({ data: Health }), 'ok or degraded'),
      503: json(z.object({ data: Health }), 'down: the database or Temporal does not answer'),
    },
  });
  route({ method: 'post', path: '/auth/logout', tags: ['Auth'], summary: 'End the session', responses: { 204: { description: 'Logged out' } } });
  route({ method: 'get', path: '/me', tags: ['Auth'], summary: 'Who is calling', responses: { 200: json(z.object({ data: Me }), 'The caller') } });
  route({
    method: 'post',
    path: '/me/password',
    tags: ['Auth'],
    summary: "Change the caller's own password (a session only); the person's other sessions end",
    request: { body: { content: { 'application/json': { schema: OwnPasswordChange } } } },
    responses: {
      204: { description: 'Changed' },
      403: json(ErrorEnvelope, 'wrong_password (currentPassword), or session_required for an API key'),
      429: json(ErrorEnvelope, 'too_many_attempts: too many wrong current passwords'),
    },
  });

  for (const type of RECORD_TYPES) {
    const path = `/${RECORD_COLLECTIONS[type]}`;
    const tag = RECORD_COLLECTIONS[type];
    const record = recordJsonSchema(type);
    const one = z.object({ data: record });
    route({
      method: 'get',
      path,
      tags: [tag],
      summary: `List ${tag}`,
      request: { query: ListQuery },
      responses: { 200: json(z.object({ data: z.array(record), meta: PageMeta }), `A page of ${tag}`) },
    });
    route({
      method: 'post',
      path,
      tags: [tag],
      summary: `Create a ${type}`,
      request: { headers: CreateHeaders, body: { content: { 'application/json': { schema: recordBodySchema(type, 'create') } } } },
      responses: {
        201: withEtag(json(one, 'Created (or, for a repeated Idempotency-Key, the first answer again)')),
        422: json(ErrorEnvelope, 'Refused by a rule, or an Idempotency-Key already used for a different request'),
      },
    });
    route({ method: 'get', path: `${path}/{id}`, tags: [tag], request: { params: IdParams }, responses: { 200: withEtag(json(one, 'The record')) } });
    route({
      method: 'patch',
      path: `${path}/{id}`,
      tags: [tag],
      summary: `Update a ${type} (a person's save is pushed in two-way mode)`,
      request: { params: IdParams, headers: UpdateHeaders, body: { content: { 'application/json': { schema: recordUpdateSchema(type) } } } },
      responses: {
        200: withEtag(json(one, 'Updated')),
        409: json(ErrorEnvelope, 'version_conflict: the record changed since the version sent (details.currentVersion); read it again and reapply the change'),
      },
    });
    route({
      method: 'delete',
      path: `${path}/{id}`,
      tags: [tag],
      summary: 'Delete (refused while the record syncs)',
      request: { params: IdParams },
      responses: { 204: { description: 'Deleted' }, 409: json(ErrorEnvelope, 'Synced: disable its sync first') },
    });
    route({
      method: 'post',
      path: `${path}/{id}/push`,
      tags: [tag],
      summary: 'Push action (web UI sessions only): counts as a save',
      request: { params: IdParams },
      responses: { 202: json(one, 'Queued') },
    });
    for (const action of ['disable', 'enable'] as const) {
      route({
        method: 'post',
        path: `${path}/{id}/sync/${action}`,
        tags: [tag],
        summary: `${action === 'disable' ? 'Disable' : 'Enable'} sync for this record`,
        request: { params: IdParams },
        responses: { 200: json(one, 'The record') },
      });
    }
    route({
      method: 'get',
      path: `${path}/{id}/history`,
      tags: [tag],
      summary: 'Sync history: pulled, pushed, conflicts, errors, with field diffs; optionally one kind, or exported (format)',
      request: { params: IdParams, query: RecordHistoryQuery },
      responses: {
        200: {
          description: 'Newest first (the latest 100; an export holds up to ' + String(EXPORT_MAX_ROWS) + ')',
          content: { 'application/json': { schema: z.object({ data: z.array(HistoryEntry) }) }, 'text/csv': { schema: z.string() } },
        },
      },
    });
    route({
      method: 'post',
      path: `${path}/import`,
      tags: [tag],
      summary: 'Bulk import (CSV with a header of field names, or JSON {records}); never pushed automatically',
      request: {
        body: {
          content: {
            'application/json': { schema: z.object({ records: z.array(recordBodySchema(type, 'create')) }) },
            'text/csv': { schema: z.string() },
          },
        },
      },
      responses: { 201: json(z.object({ data: ImportResult }), 'All rows stored'), 413: json(ErrorEnvelope, 'Too large') },
    });
  }

  const bms = '/integrations/kaseya-bms';
  route({ method: 'get', path: bms, tags: ['Kaseya BMS'], summary: 'The connection (never the password)', responses: { 200: json(z.object({ data: Integration }), 'The connection, or {connected: false}') } });
  route({
    method: 'put',
    path: bms,
    tags: ['Kaseya BMS'],
    summary:
      'Connect (tested before it is stored; password write-only, and required again to change the addresses, tenant or user name). ' +
      'The addresses must pass the outbound destination policy (BMS_ALLOWED_HOSTS).',
    request: { body: { content: { 'application/json': { schema: ConnectionBody } } } },
    responses: {
      200: json(z.object({ data: IntegrationView }), 'Connected'),
      409: json(ErrorEnvelope, 'connection_changed: sent without the password, and the stored connection moved elsewhere meanwhile'),
      422: json(ErrorEnvelope, 'BMS refused the connection (connection_failed), an address is not allowed (destination_not_allowed), or the password is missing'),
      429: json(ErrorEnvelope, 'Too many connection attempts for this account; wait a minute'),
    },
  });
  route({ method: 'get', path: `${bms}/sync-settings`, tags: ['Kaseya BMS'], responses: { 200: json(z.object({ data: SettingsView }), 'Sync Settings') } });
  route({
    method: 'patch',
    path: `${bms}/sync-settings`,
    tags: ['Kaseya BMS'],
    summary: 'Change Sync Settings and/or two-way sync (administrators and managers; two-way needs Select or Enterprise)',
    request: { body: { content: { 'application/json': { schema: SettingsBody } } } },
    responses: { 200: json(z.object({ data: SettingsView }), 'Saved') },
  });
  route({
    method: 'post',
    path: `${bms}/sync-settings/preview`,
    tags: ['Kaseya BMS'],
    summary: 'What a Sync Settings change would do, without saving it (administrators and managers): orphans, pushes that stop, BMS records that start to sync',
    request: { body: { content: { 'application/json': { schema: SettingsBody } } } },
    responses: { 200: json(z.object({ data: SettingsPreview }), 'The preview; nothing was saved') },
  });
  route({
    method: 'post',
    path: '/adoptions',
    tags: ['Adoption'],
    summary: `Preview pushing existing records to Kaseya BMS (administrators and managers; at most ${ADOPTION_MAX_RECORDS}); nothing is written to BMS`,
    request: { body: { content: { 'application/json': { schema: AdoptionPreviewBody } } } },
    responses: { 202: json(z.object({ data: AdoptionView }), 'The preview, computing: poll GET /adoptions/{id} until its status is ready') },
  });
  route({
    method: 'get',
    path: '/adoptions/{id}',
    tags: ['Adoption'],
    summary: 'A preview: what a push would do for each record; after the confirm, each record\'s progress',
    request: { params: IdParams },
    responses: { 200: json(z.object({ data: AdoptionView }), 'The preview or adoption') },
  });
  route({
    method: 'post',
    path: '/adoptions/{id}/confirm',
    tags: ['Adoption'],
    summary: 'Queue the previewed records for push, each once (administrators and managers)',
    request: { params: IdParams, body: { content: { 'application/json': { schema: AdoptionConfirmBody } } } },
    responses: {
      200: json(z.object({ data: AdoptionView }), 'Queued; follow progress with GET /adoptions/{id}'),
      409: json(
        ErrorEnvelope,
        `preview_not_ready, preview_failed, already_confirmed, preview_expired (older than ${ADOPTION_PREVIEW_TTL_MINUTES} minutes), two_way_off, or records_changed (details.records names the records changed since the preview)`,
      ),
    },
  });
  route({ method: 'post', path: `${bms}/sync`, tags: ['Kaseya BMS'], summary: 'Sync now (after any pull already running)', responses: { 202: json(z.object({ data: SyncTriggered }), 'Triggered') } });
  for (const action of ['pause', 'resume'] as const) {
    route({ method: 'post', path: `${bms}/${action}`, tags: ['Kaseya BMS'], responses: { 200: json(z.object({ data: IntegrationView }), 'The connection') } });
  }
  route({ method: 'get', path: `${bms}/lookups`, tags: ['Kaseya BMS'], summary: 'BMS account types, asset categories, email/phone types…', responses: { 200: json(z.object({ data: Lookups }), 'Lookups') } });
  route({ method: 'get', path: `${bms}/summary`, tags: ['Kaseya BMS'], summary: 'Records per type per sync state', responses: { 200: json(z.object({ data: SyncSummary }), 'Counts') } });
  route({
    method: 'post',
    path: `${bms}/manage`,
    tags: ['Kaseya BMS'],
    summary: 'Manage Data bulk actions',
    request: { body: { content: { 'application/json': { schema: ManageBody } } } },
    responses: { 200: json(z.object({ data: z.array(BulkResult) }), 'Per-record results') },
  });
  route({
    method: 'get',
    path: `${bms}/runs`,
    tags: ['Kaseya BMS'],
    summary: `Pull runs (logs), filtered by status, trigger and start time; with format (or Accept: text/csv) an export of at most ${EXPORT_MAX_ROWS} runs`,
    request: { query: RunsQuery },
    responses: { 200: listOrExport(SyncRun, 'Newest first: a page, or with format an export (X-Export-Total, X-Export-Truncated)') },
  });
  route({
    method: 'get',
    path: `${bms}/history`,
    tags: ['Kaseya BMS'],
    summary: `The account's record history log (push: queued, pushed; pull: pulled, linked, orphaned; conflict; failure: error), by kind, record type and time; exportable (at most ${EXPORT_MAX_ROWS} entries)`,
    request: { query: HistoryQuery },
    responses: { 200: listOrExport(HistoryEntry, 'Newest first: a page, or with format an export (X-Export-Total, X-Export-Truncated)') },
  });
  route({
    method: 'get',
    path: `${bms}/review`,
    tags: ['Match review'],
    summary:
      'Match review: BMS records held instead of created (Sync Settings unmatched: hold) and documentation records without a BMS record, ' +
      'a page of each, with ranked suggestions (state open), or those excluded from suggestions, or those resolved by a person',
    request: { query: ReviewQuery },
    responses: { 200: json(z.object({ data: ReviewList, meta: ReviewMeta }), 'Held and unlinked records with suggestions') },
  });
  route({
    method: 'get',
    path: `${bms}/review/held/{id}/history`,
    tags: ['Match review'],
    summary: 'The history of a held BMS record: who excluded, matched or created it, and when (a record created from it keeps this history)',
    request: { params: IdParams },
    responses: { 200: json(z.object({ data: z.array(HistoryEntry) }), 'Newest first') },
  });
  route({
    method: 'post',
    path: `${bms}/review/actions`,
    tags: ['Match review'],
    summary:
      'One review action: match a held BMS record to a documentation record (first-sync merge, nothing pushed), create a record from it, ' +
      'exclude or un-exclude either side, unlink a matched record (its BMS record is held again), or reconnect an orphaned record ' +
      '(by natural key among held records, or to a BMS record by id, checked in BMS). Administrators and managers.',
    request: { body: { content: { 'application/json': { schema: ReviewActionBody } } } },
    responses: {
      200: json(z.object({ data: ReviewActionResult }), 'Done; the records\' history says who did what'),
      404: json(ErrorEnvelope, 'No such held record or record (details.field names which)'),
      409: json(ErrorEnvelope, 'Already resolved, linked, excluded, or changed meanwhile: another action won'),
      422: json(ErrorEnvelope, 'What it belongs to is not linked yet, or BMS has no record with that id'),
      502: json(ErrorEnvelope, 'BMS could not be asked whether the record exists'),
    },
  });
  route({
    method: 'post',
    path: `${bms}/review/actions/bulk`,
    tags: ['Match review'],
    summary: 'Up to 100 review actions, one by one; one refusal does not stop the others',
    request: { body: { content: { 'application/json': { schema: ReviewBulkBody } } } },
    responses: { 200: json(z.object({ data: z.array(ReviewBulkResult) }), 'Per-action results, each with the status it alone would have had') },
  });
  route({ method: 'get', path: `${bms}/runs/{id}`, tags: ['Kaseya BMS'], request: { params: IdParams }, responses: { 200: json(z.object({ data: RunDetail }), 'A run with its log') } });

  const notifications = '/notifications';
  const channelId = { params: IdParams };
  route({
    method: 'get',
    path: `${notifications}/channels`,
    tags: ['Notifications'],
    summary: 'Notification channels (administrators only: they hold signing secrets; never the secret itself)',
    responses: { 200: json(z.object({ data: z.array(ChannelView) }), 'Channels') },
  });
  route({
    method: 'post',
    path: `${notifications}/channels`,
    tags: ['Notifications'],
    summary:
      'Add a channel: a webhook (its signing secret is generated and shown once; the address must pass the outbound destination policy, ' +
      'BMS_ALLOWED_HOSTS) or email recipients (needs the server\'s SMTP_URL)',
    request: { body: { content: { 'application/json': { schema: NewChannel } } } },
    responses: {
      201: json(z.object({ data: NewChannelAnswer }), 'The channel, with a webhook\'s secret shown this once'),
      422: json(ErrorEnvelope, 'The address is not allowed (destination_not_allowed), or email is not configured (email_not_configured)'),
    },
  });
  route({
    method: 'patch',
    path: `${notifications}/channels/{id}`,
    tags: ['Notifications'],
    summary: 'Change a channel, or make a new webhook secret (rotateSecret, shown once)',
    request: { ...channelId, body: { content: { 'application/json': { schema: ChannelChange } } } },
    responses: {
      200: json(z.object({ data: NewChannelAnswer }), 'The channel (secret null unless rotated)'),
      409: json(ErrorEnvelope, 'version_conflict: the channel was changed since the version sent'),
    },
  });
  route({ method: 'delete', path: `${notifications}/channels/{id}`, tags: ['Notifications'], request: channelId, responses: { 204: { description: 'Deleted, with its deliveries' } } });
  route({
    method: 'post',
    path: `${notifications}/channels/{id}/test`,
    tags: ['Notifications'],
    summary: 'Send a test notification to this channel (delivered like any event; see the delivery log)',
    request: channelId,
    responses: { 202: json(z.object({ data: TestSent }), 'Queued') },
  });
  route({
    method: 'get',
    path: `${notifications}/deliveries`,
    tags: ['Notifications'],
    summary: 'The delivery log, newest first: status, attempts, last error and response code per delivery (administrators and managers)',
    request: { query: DeliveriesQuery },
    responses: { 200: json(z.object({ data: z.array(DeliveryView), meta: PageMeta }), 'Deliveries') },
  });

  route({
    method: 'get',
    path: '/problems',
    tags: ['Problems'],
    summary: 'Every record that needs a person: failed pushes, missing required values, waiting pushes, excluded and disconnected records',
    request: { query: ProblemsQuery },
    responses: { 200: json(z.object({ data: z.array(ProblemEntry), meta: ProblemsPageMeta }), 'Newest problem first, with counts per kind') },
  });
  route({
    method: 'post',
    path: '/problems/retry',
    tags: ['Problems'],
    summary: "Retry one record's push (administrator or manager, in the web UI): queued again the way a save queues it, unless it still lacks a value or is excluded",
    request: { body: { content: { 'application/json': { schema: RetryOneBody } } } },
    responses: {
      202: json(z.object({ data: RetryResult }), 'Queued again'),
      200: json(z.object({ data: RetryResult }), 'Not queued: the cause is given and the record stays listed'),
      409: json(ErrorEnvelope, 'two_way_off, orphaned (reconnect instead) or sync_disabled'),
    },
  });
  route({
    method: 'post',
    path: '/problems/retry-all',
    tags: ['Problems'],
    summary: 'Retry every record of a kind (at most 200 at once; `more` says whether others remain)',
    request: { body: { content: { 'application/json': { schema: RetryAllBody } } } },
    responses: { 200: json(z.object({ data: RetryAllResult }), 'How many were queued and why the others were not'), 409: json(ErrorEnvelope, 'two_way_off') },
  });
  route({
    method: 'get',
    path: '/meta/records',
    tags: ['Meta'],
    summary: 'The record field table: which fields sync with Kaseya BMS, their kinds and references',
    responses: { 200: json(z.object({ data: RecordsMeta }), 'Record types and fields') },
  });
  route({
    method: 'get',
    path: '/meta/permissions',
    tags: ['Meta'],
    summary: "What the caller's role may do",
    responses: { 200: json(z.object({ data: Permissions }), 'Allowed actions') },
  });
  route({ method: 'get', path: '/account', tags: ['Access'], responses: { 200: json(z.object({ data: Account }), 'The account') } });
  route({ method: 'get', path: '/users', tags: ['Access'], responses: { 200: json(z.object({ data: z.array(UserView) }), 'Users') } });
  route({ method: 'post', path: '/users', tags: ['Access'], request: { body: { content: { 'application/json': { schema: NewUser } } } }, responses: { 201: json(z.object({ data: User }), 'Created') } });
  route({ method: 'patch', path: '/users/{id}', tags: ['Access'], request: { params: IdParams, body: { content: { 'application/json': { schema: UserChange } } } }, responses: { 200: json(z.object({ data: UserView }), 'Updated'), 409: json(ErrorEnvelope, 'It would leave the account without an enabled administrator, or lock the caller out') } });
  route({ method: 'get', path: '/api-keys', tags: ['Access'], responses: { 200: json(z.object({ data: z.array(ApiKeyView) }), 'API keys (never the keys themselves)') } });
  route({
    method: 'post',
    path: '/users/{id}/password',
    tags: ['Access'],
    summary:
      "Set another user's password (an administrator's session only; one's own is changed at /me/password with the current one; weak passwords are refused: 400 weak_password); the user's sessions end",
    request: { params: IdParams, body: { content: { 'application/json': { schema: PasswordReset } } } },
    responses: { 204: { description: 'Set' }, 403: json(ErrorEnvelope, 'forbidden for other roles, session_required for an API key, current_password_required for one\'s own') },
  });
  route({
    method: 'post',
    path: '/api-keys',
    tags: ['Access'],
    request: { body: { content: { 'application/json': { schema: NewApiKey } } } },
    responses: { 201: json(z.object({ data: NewApiKeyAnswer }), 'The key, shown once') },
  });
  route({ method: 'delete', path: '/api-keys/{id}', tags: ['Access'], request: { params: IdParams }, responses: { 204: { description: 'Revoked' } } });

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'bms-docsync API',
      version: '1',
      description: 'IT documentation in two-way sync with Kaseya BMS. Errors use one envelope: {"error": {"code", "message", "details"?}}.',
    },
    servers: [{ url: '/api/v1' }],
  });
}
