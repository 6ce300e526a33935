/**
 * Adopting existing records: what a push would do in Kaseya BMS for each chosen record (the preview),
 * and how far each confirmed record has got (the progress). Nothing here decides whether a record syncs
 * (domain/rules.ts does) or how fields map (domain/mapping/ does): this module names the outcomes and
 * reads them. Pure: safe to import from workflows.
 */
import { sameValue } from './merge';
import type { RecordFields } from './records';
import type { SyncState } from './sync-state';

/** At most this many records in one preview. */
export const ADOPTION_MAX_RECORDS = 500;
/** A preview older than this cannot be confirmed: BMS may have moved on since it was read. */
export const ADOPTION_PREVIEW_TTL_MINUTES = 15;

export const ADOPTION_STATUSES = ['computing', 'ready', 'failed', 'confirmed'] as const;
export type AdoptionStatus = (typeof ADOPTION_STATUSES)[number];

/**
 * What a push would do: create a BMS record, link to one BMS already has (by natural key) and send the
 * fields that differ, update the linked BMS record, nothing (already the same), or nothing because the
 * push would not be made (`excluded`: its type, status or organization does not sync; `refused`: BMS
 * would refuse it, e.g. a required value is missing; `skipped`: the record is gone or its sync is off).
 */
export const ADOPTION_ACTIONS = ['create', 'link', 'update', 'unchanged', 'excluded', 'refused', 'skipped'] as const;
export type AdoptionAction = (typeof ADOPTION_ACTIONS)[number];

/** Actions a confirm queues: the ones that write to BMS or link to a BMS record. */
export const QUEUED_ACTIONS: readonly AdoptionAction[] = ['create', 'link', 'update'];

/** Where a confirmed record has got. */
export const ADOPTION_PROGRESS = ['not_queued', 'queued', 'pushed', 'failed'] as const;
export type AdoptionProgress = (typeof ADOPTION_PROGRESS)[number];

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

/**
 * The synced fields a push would change, old (BMS's value, or null when it has none) → new (ours).
 * `remote` null means there is no BMS record yet: every field with a value is new.
 */
export function fieldChanges(local: RecordFields, remote: RecordFields | null, fields: readonly string[]): FieldChange[] {
  const out: FieldChange[] = [];
  for (const field of fields) {
    const to = local[field] ?? null;
    const from = remote ? (remote[field] ?? null) : null;
    if (remote === null && isEmpty(to)) continue;
    if (remote !== null && sameValue(to, from)) continue;
    out.push({ field, from, to });
  }
  return out;
}

function isEmpty(value: unknown): boolean {
  return value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0);
}

/**
 * Where a queued record stands, from its link: pushed once a push at least as recent as the version the
 * confirm queued landed (synced), failed when it was refused (failed, excluded, orphaned), queued
 * meanwhile.
 */
export function adoptionProgress(
  queuedVersion: number | null,
  link: { state: SyncState; pushedVersion: number | null } | undefined,
): AdoptionProgress {
  if (queuedVersion === null) return 'not_queued';
  if (!link || (link.pushedVersion ?? 0) < queuedVersion) return 'queued';
  if (link.state === 'synced') return 'pushed';
  if (link.state === 'queued') return 'queued';
  return 'failed';
}
