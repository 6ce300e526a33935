/**
 * Every record that needs a person, in one list: failed pushes (with BMS's reason), values BMS requires
 * that a record lacks (the pre-push check, domain/pre-push.ts), pushes waiting on another record, records
 * excluded by a rule, and disconnected (orphaned) records. Each entry says the cause in plain words and
 * links to what fixes it (the record's field, the record it waits on, or the Sync Settings section).
 * Retrying re-queues the push the normal way, as a person's save does (services/records.ts): a record that
 * still lacks a value, or is still excluded, is not queued and stays listed with its cause.
 */
import type { ProblemCounts, ProblemEntry, ProblemFix, ProblemRecord, RetryResult } from '../api/contract';
import { getIntegration, type Integration } from '../db/integrations';
import { getLinks } from '../db/links';
import { countProblems, listProblemLinks, type ProblemCursor, type ProblemLink } from '../db/problems';
import { getRecordsByIds, type StoredRecord } from '../db/records';
import { prePushProblems, type SettingsSection } from '../domain/pre-push';
import { isRetryableKind, type ProblemKind } from '../domain/problems';
import { countHeldMatches, listHeldMatches } from './review';
import { RECORD_COLLECTIONS, RECORD_TYPES, type RecordType } from '../domain/records';
import type { Principal } from './accounts';
import { RuleError } from './errors';
import { pushRecordAs, type RecordServiceDeps } from './records';

export const PROBLEMS_PAGE_MAX = 200;
/** The most records one "retry all of a kind" re-queues; the answer says how many it did and whether more remain. */
export const RETRY_ALL_MAX = 200;

const SETTINGS_ANCHORS: Record<SettingsSection, string> = {
  'contact-defaults': 'contact-email-type',
  'create-defaults': 'settings-heading',
};

export function recordHref(type: RecordType, id: string, field?: string): string {
  return `/${RECORD_COLLECTIONS[type]}/${id}${field ? `#field-${field}` : ''}`;
}

function settingsHref(anchor: string): string {
  return `/integration#${anchor}`;
}

/** A record's name as people know it. */
function nameOf(record: StoredRecord | undefined): string {
  if (!record) return '(deleted)';
  const f = record.fields;
  if (record.type === 'contact') {
    return [f.firstName, f.lastName].filter((v): v is string => typeof v === 'string' && v.trim() !== '').join(' ') || '(no name)';
  }
  return typeof f.name === 'string' && f.name.trim() ? f.name : '(no name)';
}

interface Loaded {
  records: Map<string, StoredRecord>;
  organizations: Map<string, StoredRecord>;
}

const keyOf = (type: RecordType, id: string) => `${type}:${id}`;

/** The records of a page and the ones they name (organizations, what a waiting push waits for), a query per type. */
async function load(deps: RecordServiceDeps, accountId: string, links: ProblemLink[]): Promise<Loaded> {
  const records = new Map<string, StoredRecord>();
  const fetch = async (wanted: Array<{ type: RecordType; id: string }>) => {
    for (const type of RECORD_TYPES) {
      const ids = [...new Set(wanted.filter((w) => w.type === type && !records.has(keyOf(type, w.id))).map((w) => w.id))];
      for (const r of await getRecordsByIds(deps.db, accountId, type, ids)) records.set(keyOf(type, r.id), r);
    }
  };
  await fetch(links.map(({ link }) => ({ type: link.recordType, id: link.recordId })));
  await fetch(links.flatMap(({ link }) => (link.waitingFor ? [{ type: link.waitingFor.recordType, id: link.waitingFor.recordId }] : [])));
  const orgIds = [...records.values()].map((r) => r.fields.organizationId).filter((v): v is string => typeof v === 'string');
  await fetch(orgIds.map((id) => ({ type: 'organization' as const, id })));
  const organizations = new Map([...records.values()].filter((r) => r.type === 'organization').map((r) => [r.id, r]));
  return { records, organizations };
}

function recordOf(type: RecordType, id: string, loaded: Loaded): ProblemRecord {
  const record = loaded.records.get(keyOf(type, id));
  const orgId = type === 'organization' ? null : ((record?.fields.organizationId as string | null | undefined) ?? null);
  const org = orgId ? loaded.organizations.get(orgId) : undefined;
  return { type, id, name: nameOf(record), organization: orgId ? { id: orgId, name: nameOf(org) } : null, href: recordHref(type, id) };
}

/** Where an exclusion is fixed: the record's type field, the record it belongs to, or what syncs in Sync Settings. */
function exclusionFix(type: RecordType, id: string, reason: string, record: StoredRecord | undefined): ProblemFix {
  if (/does not exist in Kaseya BMS|has no type/.test(reason)) {
    return { label: 'Choose a type Kaseya BMS knows', href: recordHref(type, id, 'type') };
  }
  const belongs = /^its (organization|location|contact) /.exec(reason);
  if (belongs) {
    const refType = belongs[1] as RecordType;
    const refId = record?.fields[`${refType}Id`];
    if (typeof refId === 'string') return { label: `Open its ${refType} and let it sync`, href: recordHref(refType, refId) };
  }
  if (/^status /.test(reason)) {
    return { label: 'Change its status, or choose the statuses that sync in Sync Settings', href: settingsHref(`sync-${RECORD_COLLECTIONS[type]}`) };
  }
  return { label: 'Choose what syncs in Sync Settings', href: settingsHref(type === 'organization' || type === 'configuration' ? `sync-${RECORD_COLLECTIONS[type]}` : 'settings-heading') };
}

function entryOf(item: ProblemLink, loaded: Loaded, integration: Integration | undefined): ProblemEntry {
  const { link, kind } = item;
  const type = link.recordType;
  const id = link.recordId;
  const record = loaded.records.get(keyOf(type, id));
  const base = { kind, record: recordOf(type, id, loaded), since: new Date(item.at).toISOString(), retryable: isRetryableKind(kind) };
  const reason = link.stateReason ?? link.lastError?.message ?? 'no reason was recorded';
  switch (kind) {
    case 'failed':
      return {
        ...base,
        cause: `Kaseya BMS refused the push: ${reason}`,
        fix: { label: `Correct the ${type} and retry`, href: recordHref(type, id) },
      };
    case 'missing_value': {
      // The check as it stands now (the record or the settings may have changed since the push was stopped).
      const problem =
        record && integration
          ? prePushProblems({
              type,
              fields: record.fields,
              settings: integration.settings,
              lookups: integration.lookups.fetchedAt !== null ? integration.lookups : null,
              inBms: link.bmsId !== null,
            })[0]
          : undefined;
      const cause = problem?.message ?? reason;
      const fix: ProblemFix = problem?.settings
        ? { label: 'Choose it in Sync Settings', href: settingsHref(SETTINGS_ANCHORS[problem.settings]) }
        : problem
          ? { label: `Fill in the ${type}'s ${problem.field}`, href: recordHref(type, id, problem.field) }
          : { label: `Check the ${type} and retry`, href: recordHref(type, id) };
      return { ...base, cause, fix };
    }
    case 'waiting': {
      const target = link.waitingFor!;
      const what = recordOf(target.recordType, target.recordId, loaded);
      return {
        ...base,
        cause: `Waiting for its ${target.recordType} '${what.name}' to reach Kaseya BMS first`,
        fix: { label: `Open the ${target.recordType} it waits for`, href: what.href },
        waitingFor: what,
      };
    }
    case 'excluded':
      return { ...base, cause: `Not pushed: ${reason}`, fix: exclusionFix(type, id, reason, record) };
    case 'orphaned':
      return {
        ...base,
        cause: `Disconnected from Kaseya BMS: ${reason}`,
        fix: { label: 'Reconnect it in Review matches, or delete it', href: `/review?type=${type}` },
      };
  }
}

/** The waiting entries whose dependency is itself refused say so: that is what a person must fix first. */
async function explainWaits(deps: RecordServiceDeps, entries: ProblemEntry[]): Promise<void> {
  for (const type of RECORD_TYPES) {
    const waits = entries.filter((e) => e.waitingFor?.type === type);
    if (waits.length === 0) continue;
    const links = await getLinks(deps.db, type, waits.map((e) => e.waitingFor!.id));
    for (const entry of waits) {
      const dependency = links.get(entry.waitingFor!.id);
      if (dependency?.state === 'failed') entry.cause += `; its push was refused: ${dependency.stateReason ?? 'unknown error'}`;
      else if (dependency?.state === 'excluded') entry.cause += `; it does not sync: ${dependency.stateReason ?? 'excluded'}`;
    }
  }
}

function encodeCursor(item: ProblemLink): string {
  return Buffer.from(JSON.stringify({ at: item.at, type: item.link.recordType, id: item.link.recordId })).toString('base64url');
}

export function decodeCursor(cursor: string): ProblemCursor {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as ProblemCursor;
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    if (typeof c.at === 'string' && !Number.isNaN(Date.parse(c.at)) && RECORD_TYPES.includes(c.type) && typeof c.id === 'string' && uuid.test(c.id)) return c;
  } catch {
    // refused below
  }
  throw new RuleError(400, 'validation_error', 'cursor: not a cursor this list gave out', {
    field: 'cursor',
    issues: [{ field: 'cursor', message: 'not a cursor this list gave out', code: 'custom' }],
  });
}

export interface ProblemQuery {
  kind?: ProblemKind;
  recordType?: RecordType;
  limit: number;
  cursor?: string;
}

export async function listProblems(
  deps: RecordServiceDeps,
  accountId: string,
  query: ProblemQuery,
): Promise<{ items: ProblemEntry[]; counts: ProblemCounts; nextCursor: string | null }> {
  const [linkCounts, held] = await Promise.all([
    countProblems(deps.db, { accountId, recordType: query.recordType }),
    countHeldMatches(deps.db, accountId),
  ]);
  const counts: ProblemCounts = { ...linkCounts, held: held.filter((h) => !query.recordType || h.recordType === query.recordType).reduce((n, h) => n + h.held, 0) };
  if (query.kind === 'held') return { items: await heldEntries(deps, accountId, query), counts, nextCursor: null };
  const after = query.cursor ? decodeCursor(query.cursor) : undefined;
  const filter = { accountId, kind: query.kind, recordType: query.recordType };
  const [page, integration] = await Promise.all([listProblemLinks(deps.db, filter, query.limit, after), getIntegration(deps.db, accountId)]);
  const loaded = await load(deps, accountId, page.items);
  const items = page.items.map((item) => entryOf(item, loaded, integration));
  await explainWaits(deps, items);
  const last = page.items.at(-1);
  return { items, counts, nextCursor: page.more && last ? encodeCursor(last) : null };
}

/**
 * Kaseya BMS records held for a match: the newest `limit` (all of them are in Review matches, where they
 * are resolved). They are not records yet, so the entry's id is the held record's and its page the review
 * list of its type.
 */
async function heldEntries(deps: RecordServiceDeps, accountId: string, query: ProblemQuery): Promise<ProblemEntry[]> {
  const held = (await listHeldMatches(deps.db, accountId, query.limit))
    .filter((h) => !query.recordType || h.recordType === query.recordType)
    .sort((a, b) => b.heldAt.localeCompare(a.heldAt))
    .slice(0, query.limit);
  return held.map((h) => ({
    kind: 'held' as const,
    record: { type: h.recordType, id: h.heldId, name: h.name, organization: null, href: h.reviewPath },
    cause: `Kaseya BMS ${h.recordType} ${h.bmsId} matched no documentation record exactly and is held, as Sync Settings say, until a person decides`,
    fix: { label: 'Match it to a record, create it, or exclude it in Review matches', href: h.reviewPath },
    since: new Date(h.heldAt).toISOString(),
    retryable: false,
  }));
}

/**
 * Re-queues one record's push the normal way (a person's save: link → queued, signal-with-start, under the
 * rate budget). Refused (not queued) when the record still lacks a value or is excluded; it then stays
 * listed with its cause, which the answer gives.
 */
export async function retryRecord(deps: RecordServiceDeps, principal: Principal, type: RecordType, id: string): Promise<RetryResult> {
  const integration = await getIntegration(deps.db, principal.accountId);
  if (!integration?.twoWayEnabled) {
    throw new RuleError(409, 'two_way_off', 'Two-way sync is off, so nothing is pushed to Kaseya BMS; turn it on in Sync Settings to retry');
  }
  // Another account's record is not found, whatever its link says.
  if ((await getRecordsByIds(deps.db, principal.accountId, type, [id])).length === 0) throw new RuleError(404, 'not_found', `No ${type} with id ${id}`);
  const [link] = [...(await getLinks(deps.db, type, [id])).values()];
  if (link?.state === 'orphaned') {
    throw new RuleError(409, 'orphaned', `This ${type} is disconnected from Kaseya BMS; reconnect it in Review matches instead of retrying`, { field: 'recordId' });
  }
  if (link?.state === 'disabled') {
    throw new RuleError(409, 'sync_disabled', `Sync is disabled for this ${type}; enable it to push it`, { field: 'recordId' });
  }
  const view = await pushRecordAs(deps, principal, type, id);
  const queued = view.sync.state === 'queued';
  return { recordType: type, id, queued, state: view.sync.state, ...(queued ? {} : { cause: view.sync.message }) };
}

/**
 * Retries every record of a kind (and type), at most `RETRY_ALL_MAX` at once, oldest problem last as
 * listed. Each goes through `retryRecord`; the answer counts those queued and those still refused.
 */
export async function retryKind(
  deps: RecordServiceDeps,
  principal: Principal,
  kind: ProblemKind,
  recordType?: RecordType,
): Promise<{ attempted: number; queued: number; notQueued: number; more: boolean; results: RetryResult[] }> {
  if (!isRetryableKind(kind)) {
    const instead = kind === 'held' ? 'match, create or exclude them in Review matches' : 'reconnect them in Review matches';
    throw new RuleError(422, 'not_retryable', `${kind} records are not retried: ${instead}`, { field: 'kind' });
  }
  const page = await listProblemLinks(deps.db, { accountId: principal.accountId, kind, recordType }, RETRY_ALL_MAX);
  const results: RetryResult[] = [];
  for (const { link } of page.items) {
    try {
      results.push(await retryRecord(deps, principal, link.recordType, link.recordId));
    } catch (err) {
      if (!(err instanceof RuleError) || err.code === 'two_way_off') throw err;
      results.push({ recordType: link.recordType, id: link.recordId, queued: false, state: link.state, cause: err.message });
    }
  }
  const queued = results.filter((r) => r.queued).length;
  return { attempted: results.length, queued, notQueued: results.length - queued, more: page.more, results };
}
