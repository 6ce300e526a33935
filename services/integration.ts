/**
 * The Kaseya BMS integration of an account: connecting (tested before it is stored), Sync Settings and the
 * two-way switch (R1, R2, R10), the pull Schedule (R8), "Sync now", pause and resume.
 * The password is write-only: views never carry it.
 */
import type { z } from 'zod';
import type { Client } from '@temporalio/client';
import type { IntegrationView, RunDetail, SettingsPreview, SyncRun as SyncRunView } from '../api/contract';
import type { Config } from '../config';
import type { Db } from '../db';
import {
  changedConnectionTarget,
  ConnectionChangedError,
  type ConnectionInput,
  getBmsConnection,
  getIntegration,
  type Integration,
  saveConnection,
  updateIntegration,
} from '../db/integrations';
import { getRun, listRunLogs, listRuns, resetWatermarks, type RunFilter, type SyncRun as StoredRun } from '../db/runs';
import { recordReachability } from '../db/operations';
import { defaultSyncSettings, type SyncSettings, SyncSettingsChangeSchema, SyncSettingsSchema, type Unmatched } from '../domain/settings';
import type { Logger } from '../lib/logger';
import type { SecretBox } from '../lib/secrets';
import { countBmsSelections, ensurePullSchedule, triggerPull, unpausePullSchedule, workflowUiUrl } from '../lib/temporal';
import { pullScheduleId, type StartCount } from '../workflows/definitions';
import { recordsInGroups, syncGroups } from '../db/records';
import { RECORD_TYPES } from '../domain/records';
import { syncExclusion } from '../domain/rules';
import { ASSET_COUNT_MAX_PAGES, startSelections, wouldOrphan, wouldStopPushing } from '../domain/settings-impact';
import { recordLabel } from './adoptions';
import { DestinationRefusedError, type OutboundPolicy, outboundPolicyFor } from '../lib/outbound';
import { BmsClient, PAGE_SIZE } from '../bms/client';
import { BmsDestinationRefusedError, isBmsError } from '../bms/errors';
import { fetchLookups } from '../bms/lookups';
import { getAccount } from './accounts';
import { RuleError, validationIssues } from './errors';

export interface IntegrationServiceDeps {
  db: Db;
  temporal: Client;
  config: Config;
  secrets: SecretBox;
  logger: Logger;
}

export function integrationView(config: Config, integration: Integration): IntegrationView {
  const scheduleId = pullScheduleId(integration.accountId);
  return {
    connected: true,
    apiUrl: integration.apiUrl,
    v1Url: integration.v1Url,
    tenant: integration.tenant,
    username: integration.username,
    passwordSet: true,
    connectionStatus: integration.connectionStatus,
    connectionError: integration.connectionError,
    connectionCheckedAt: integration.connectionCheckedAt,
    twoWayEnabled: integration.twoWayEnabled,
    twoWayEnabledAt: integration.twoWayEnabledAt,
    paused: integration.paused,
    pauseReason: integration.pauseReason,
    pausedAutomatically: integration.pausedAutomatically,
    scheduleId,
    scheduleUrl: `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/schedules/${encodeURIComponent(scheduleId)}`,
    settings: integration.settings,
  };
}

export async function requireIntegration(db: Db, accountId: string): Promise<Integration> {
  const integration = await getIntegration(db, accountId);
  if (!integration) throw new RuleError(404, 'not_connected', 'Kaseya BMS is not connected for this account');
  return integration;
}

/**
 * Connects (or reconnects) to Kaseya BMS. The credentials are tried first (log in and read the lookups;
 * log in to V1 when a V1 address is given); nothing is stored when BMS refuses them. Both addresses pass
 * the outbound destination policy first. The stored password is only ever sent to the address, tenant
 * and user it was entered with: changing any of them needs the password again, before anything is sent.
 */
export async function connect(
  deps: IntegrationServiceDeps,
  accountId: string,
  input: ConnectionInput & { unmatched?: Unmatched },
): Promise<IntegrationView> {
  const policy = outboundPolicyFor(deps.config.bms.allowedHosts);
  const target = {
    apiUrl: allowedBase(policy, input.apiUrl, 'apiUrl'),
    v1Url: input.v1Url ? allowedBase(policy, input.v1Url, 'v1Url') : null,
    tenant: input.tenant,
    username: input.username,
  };
  const existing = await getIntegration(deps.db, accountId);
  let password = input.password;
  if (password === undefined) {
    // The stored target and password are read together: checked against one, the other is its own.
    const stored = await getBmsConnection(deps.db, accountId, deps.secrets);
    if (!stored) throw new RuleError(422, 'validation_error', 'password is required to connect', { field: 'password' });
    const changed = changedConnectionTarget({ ...stored, v1Url: stored.v1Url ?? null }, target);
    if (changed.length > 0) {
      throw new RuleError(
        422,
        'validation_error',
        `password is required to change ${changed.join(', ')}: the stored password is only sent where it was entered`,
        { field: 'password', changed },
      );
    }
    password = stored.password;
  }
  await resolvedBase(policy, target.apiUrl, 'apiUrl');
  if (target.v1Url) await resolvedBase(policy, target.v1Url, 'v1Url');

  const client = new BmsClient({
    connection: { ...target, password },
    timeoutMs: deps.config.bms.requestTimeoutMs,
    policy,
    logger: deps.logger,
  });
  const settings = existing?.settings ?? defaultSyncSettings();
  let lookups;
  try {
    lookups = await fetchLookups(client, settings.lookupTables);
  } catch (err) {
    // A test of the stored connection (no new password) tells what the syncs will meet: keep it.
    if (existing && input.password === undefined && isBmsError(err)) {
      await recordReachability(deps.db, accountId, 'failed', err.message, 'connection_test');
    }
    throw connectionFailed(err, 'Could not connect to Kaseya BMS', isBmsError(err) && err.name === 'BmsAuthError' ? 'password' : 'apiUrl');
  }
  if (target.v1Url) {
    try {
      await client.authenticateV1();
    } catch (err) {
      throw connectionFailed(err, 'Could not log in to Kaseya BMS V1 at v1Url', 'v1Url');
    }
  }
  if (!existing) {
    // A new connection syncs every active type by default; people narrow it in Sync Settings.
    settings.organizations.types = lookups.accountTypes.filter((t) => t.isActive !== false).map((t) => t.id);
    settings.configurations.types = lookups.assetCategories.filter((t) => t.isActive !== false).map((t) => t.id);
    // Chosen before the first pull, which starts as soon as the connection is saved.
    if (input.unmatched) for (const section of [settings.organizations, settings.configurations, settings.contacts, settings.locations]) section.unmatched = input.unmatched;
  }
  try {
    await saveConnection(deps.db, accountId, { ...target, password: input.password }, deps.secrets, settings);
  } catch (err) {
    if (!(err instanceof ConnectionChangedError)) throw err;
    throw new RuleError(
      409,
      'connection_changed',
      'password: the connection was changed while this request was being tested; send the password to change where it goes',
      { field: 'password' },
    );
  }
  // A connection that works ends a failure streak, and resumes a sync that paused itself over one.
  const resume = existing?.paused === true && existing.pausedAutomatically;
  await updateIntegration(deps.db, accountId, {
    lookups,
    connection: { status: 'ok', error: null },
    resetFailures: true,
    ...(resume ? { paused: false } : {}),
  });
  const integration = await requireIntegration(deps.db, accountId);
  await ensurePullSchedule(deps.temporal, deps.config.temporal.taskQueues.pull, accountId, integration.settings, {
    unpauseNote: resume ? 'The connection was fixed and tested' : undefined,
  });
  return integrationView(deps.config, integration);
}

function destinationRefused(message: string, field: 'apiUrl' | 'v1Url'): RuleError {
  return new RuleError(422, 'destination_not_allowed', `${field}: ${message}`, { field });
}

function allowedBase(policy: OutboundPolicy, url: string, field: 'apiUrl' | 'v1Url'): string {
  try {
    return policy.checkBaseUrl(url);
  } catch (err) {
    if (err instanceof DestinationRefusedError) throw destinationRefused(err.message, field);
    throw err;
  }
}

async function resolvedBase(policy: OutboundPolicy, url: string, field: 'apiUrl' | 'v1Url'): Promise<void> {
  try {
    await policy.verifyBaseUrl(url);
  } catch (err) {
    if (err instanceof DestinationRefusedError) throw destinationRefused(err.message, field);
    throw err;
  }
}

function connectionFailed(err: unknown, what: string, field: string): RuleError {
  if (err instanceof BmsDestinationRefusedError) return destinationRefused(err.message, err.field);
  const message = err instanceof Error ? err.message : String(err);
  return new RuleError(422, 'connection_failed', `${what}: ${message}`, { field });
}

export interface SettingsChange {
  settings?: unknown;
  twoWayEnabled?: boolean;
}

function settingsRefused(error: z.ZodError): RuleError {
  const issues = validationIssues(error, 'settings');
  const first = issues[0]!;
  return new RuleError(422, 'validation_error', `${first.field}: ${first.message}`, { field: first.field, issues });
}

/** Updates Sync Settings and/or the two-way switch; keeps the Schedule in step. */
export async function updateSettings(deps: IntegrationServiceDeps, accountId: string, change: SettingsChange): Promise<IntegrationView> {
  const integration = await requireIntegration(deps.db, accountId);
  const settings = proposedSettings(integration, change);
  if (change.twoWayEnabled === true && !integration.twoWayEnabled) {
    const account = await getAccount(deps.db, accountId);
    if (!account || account.plan === 'basic') {
      throw new RuleError(403, 'plan_required', 'Two-way sync is available on the Select and Enterprise plans only', {
        field: 'twoWayEnabled',
        plan: account?.plan ?? null,
      });
    }
  }
  if (settings && JSON.stringify(settings.pull) !== JSON.stringify(integration.settings.pull)) {
    // The Schedule is updated first: a cron expression Temporal refuses is never stored.
    try {
      await ensurePullSchedule(deps.temporal, deps.config.temporal.taskQueues.pull, accountId, settings);
    } catch (err) {
      throw new RuleError(422, 'validation_error', `settings.pull: the schedule was refused: ${(err as Error).message}`, {
        field: settings.pull.cron ? 'settings.pull.cron' : 'settings.pull.intervalMinutes',
      });
    }
  }
  // What syncs changed: the next pull reads everything, so records that stopped matching become orphans
  // and records that started matching arrive, without waiting for them to change in BMS.
  const selection = (x: SyncSettings) => JSON.stringify([x.organizations, x.configurations, x.locations, x.contacts]);
  if (settings && selection(settings) !== selection(integration.settings)) await resetWatermarks(deps.db, accountId);
  await updateIntegration(deps.db, accountId, {
    settings,
    twoWayEnabled: change.twoWayEnabled === undefined || change.twoWayEnabled === integration.twoWayEnabled ? undefined : change.twoWayEnabled,
  });
  const updated = await requireIntegration(deps.db, accountId);
  return integrationView(deps.config, updated);
}

/** The settings a change proposes (the stored ones with the change laid over), checked; undefined when it changes none. */
function proposedSettings(integration: Integration, change: SettingsChange): SyncSettings | undefined {
  if (change.settings === undefined) return undefined;
  const asChange = SyncSettingsChangeSchema.safeParse(change.settings);
  if (!asChange.success) throw settingsRefused(asChange.error);
  const parsed = SyncSettingsSchema.safeParse(deepMerge(integration.settings, asChange.data));
  if (!parsed.success) throw settingsRefused(parsed.error);
  checkTypeIds(parsed.data, integration);
  return parsed.data;
}

/** Records shown by name in a settings preview, per list. */
export const SETTINGS_PREVIEW_SAMPLE = 20;
/** How long a settings preview waits for BMS's counts before answering without them. */
export const SETTINGS_PREVIEW_COUNT_TIMEOUT_MS = 20_000;

/**
 * What saving a Sync Settings change would do, without saving it (the same body as the PATCH, checked
 * the same way): the linked records the next pull would orphan, the records whose pushes would stop
 * (both decided by domain/rules.ts through domain/settings-impact.ts, from the stored records), and how
 * many Kaseya BMS records would start to sync (counted in BMS by the worker, under the rate budget).
 */
export async function previewSettings(deps: IntegrationServiceDeps, accountId: string, change: SettingsChange): Promise<SettingsPreview> {
  const integration = await requireIntegration(deps.db, accountId);
  const before = integration.settings;
  const after = proposedSettings(integration, change) ?? before;
  const lookups = integration.lookups;
  const orphans = emptyImpact();
  const stopPushing = emptyImpact();
  for (const recordType of RECORD_TYPES) {
    const rows = await syncGroups(deps.db, accountId, recordType);
    const groups = rows.map((r) => ({ ...r, recordType }));
    for (const [impact, test] of [
      [orphans, wouldOrphan],
      [stopPushing, wouldStopPushing],
    ] as const) {
      const hit = groups.filter((g) => test(g, before, after, lookups));
      const count = hit.reduce((n, g) => n + g.count, 0);
      if (count === 0) continue;
      impact.count += count;
      impact.byType[recordType] = count;
      const room = SETTINGS_PREVIEW_SAMPLE - impact.sample.length;
      for (const record of await recordsInGroups(deps.db, accountId, recordType, hit, room)) {
        const reason = syncExclusion(recordType, record.fields, after, lookups) ?? (impact === orphans ? 'its Kaseya BMS record would no longer match the settings' : 'it would no longer sync');
        impact.sample.push({ recordType, id: record.id, label: recordLabel(record), reason });
      }
    }
  }
  const selections = startSelections(before, after, lookups);
  let counts: StartCount[] | undefined = [];
  if (selections.length > 0) {
    counts = await countBmsSelections(deps.temporal, deps.config.temporal.taskQueues.pull, accountId, selections, SETTINGS_PREVIEW_COUNT_TIMEOUT_MS).catch((err: unknown) => {
      deps.logger.warn({ err }, 'could not count Kaseya BMS records for a settings preview');
      return undefined;
    });
  }
  return {
    orphans,
    stopPushing,
    startSync: selections.map((selection, i) => {
      const counted = counts?.[i];
      return {
        recordType: selection.recordType,
        typeName: 'typeName' in selection ? selection.typeName : null,
        status: 'status' in selection ? selection.status : null,
        count: counted?.count ?? null,
        atLeast: counted?.atLeast ?? false,
      };
    }),
    countedBy:
      counts === undefined
        ? 'Kaseya BMS did not answer in time; the selections are listed without counts'
        : 'Organizations and contacts: totalRecords of a one-item page of the accounts (filtered by account type and active flag) and contacts summary lists. ' +
          `Configurations: the asset search filtered by category and active flag, paged to at most ${ASSET_COUNT_MAX_PAGES * PAGE_SIZE} (it reports no total). Locations: not counted (BMS lists them per account only).`,
  };
}

function emptyImpact(): SettingsPreview['orphans'] {
  return { count: 0, byType: {}, sample: [] };
}

function checkTypeIds(settings: SyncSettings, integration: Integration): void {
  const check = (ids: number[], table: { id: number }[], field: string) => {
    if (table.length === 0) return;
    const unknown = ids.filter((id) => !table.some((t) => t.id === id));
    if (unknown.length > 0) {
      throw new RuleError(422, 'validation_error', `${field} has ids Kaseya BMS does not know: ${unknown.join(', ')}`, { field });
    }
  };
  check(settings.organizations.types, integration.lookups.accountTypes, 'settings.organizations.types');
  check(settings.configurations.types, integration.lookups.assetCategories, 'settings.configurations.types');
}

function deepMerge(base: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  if (base === null || typeof base !== 'object' || Array.isArray(base)) return patch;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) out[k] = deepMerge(out[k], v);
  return out;
}

/** "Sync now": triggers the account's pull Schedule (after any pull already running). */
export async function syncNow(deps: IntegrationServiceDeps, accountId: string): Promise<{ scheduleId: string }> {
  const integration = await requireIntegration(deps.db, accountId);
  if (integration.paused) throw new RuleError(409, 'paused', 'Sync is paused; resume it first');
  // Recorded first: a pull already running sees it when it ends and runs once more, so the request
  // holds even where Temporal folds a trigger into the run in progress.
  await updateIntegration(deps.db, accountId, { syncRequested: true });
  const scheduleId = await ensurePullSchedule(deps.temporal, deps.config.temporal.taskQueues.pull, accountId, integration.settings);
  await triggerPull(deps.temporal, accountId);
  return { scheduleId };
}

/**
 * Pause (by a person) or resume. Resuming also resumes a sync that paused itself (its Schedule included)
 * and starts counting failures afresh.
 */
export async function setPaused(deps: IntegrationServiceDeps, accountId: string, paused: boolean): Promise<IntegrationView> {
  await requireIntegration(deps.db, accountId);
  await updateIntegration(deps.db, accountId, paused ? { paused, pause: { reason: null, automatic: false } } : { paused, resetFailures: true });
  if (!paused) await unpausePullSchedule(deps.temporal, accountId, 'Resumed');
  return integrationView(deps.config, await requireIntegration(deps.db, accountId));
}

export function runView(config: Config, run: StoredRun): SyncRunView {
  return { ...run, workflowUrl: workflowUiUrl(config.temporal, run.workflowId, run.runId) };
}

export async function listRunViews(
  deps: IntegrationServiceDeps,
  accountId: string,
  limit: number,
  offset: number,
  filter: RunFilter = {},
): Promise<{ items: SyncRunView[]; total: number }> {
  const { items, total } = await listRuns(deps.db, accountId, limit, offset, filter);
  return { items: items.map((r) => runView(deps.config, r)), total };
}

export async function getRunView(deps: IntegrationServiceDeps, accountId: string, id: string): Promise<RunDetail> {
  const run = await getRun(deps.db, accountId, id);
  if (!run) throw new RuleError(404, 'not_found', `No sync run with id ${id}`);
  return { ...runView(deps.config, run), logs: await listRunLogs(deps.db, run.id) };
}
