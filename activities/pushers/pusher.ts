/** What a type-specific pusher is and gets: the push activity (activities/push.ts) drives one per record type. */
import type { Integration } from '../../db/integrations';
import type { StoredRecord } from '../../db/records';
import type { CreateDefaults, Lookups } from '../../domain/mapping';
import type { RecordFields } from '../../domain/records';
import type { BmsClient } from '../../bms/client';
import type { ActivityDeps } from '../context';

/** What a type-specific pusher gets. */
export interface PushContext {
  client: BmsClient;
  integration: Integration;
  lookups: Lookups;
  defaults: CreateDefaults;
  record: StoredRecord;
  /** The record's synced fields in documentation form. */
  synced: RecordFields;
  /** BMS ids of the records this one refers to, by field name (e.g. parentId → 123). */
  refs: Record<string, number | null>;
  deps: ActivityDeps;
  signal: AbortSignal;
}

export interface RemoteState {
  bmsId: number;
  modifiedOn: string | null;
}

export interface Pusher {
  /** Finds the BMS record this one already is, by natural key (safe creates, first links). */
  findExisting(ctx: PushContext): Promise<(RemoteState & { fields: RecordFields }) | null>;
  create(ctx: PushContext): Promise<RemoteState>;
  /**
   * Builds what `create` would send, without sending it: throws the MappingError BMS's refusal would be
   * reported as (a required value missing), else resolves (reads only; for previews).
   */
  checkCreate(ctx: PushContext): Promise<void>;
  /** Sends the changed synced fields; returns the BMS modifiedOn after the write. */
  update(ctx: PushContext, bmsId: number, changed: RecordFields): Promise<{ modifiedOn: string | null }>;
}
