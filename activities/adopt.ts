/**
 * Adoption previews and Sync Settings counts: reads of Kaseya BMS that decide nothing and write nothing
 * there. A preview asks, for each chosen record, what its push would do, by the push's own steps: the
 * same rules (domain/rules.ts), the same references, the same natural-key look-up before a create
 * (`Pusher.findExisting`), the same mapping (`Pusher.checkCreate` builds the create without sending it).
 * Every read goes through the account's BMS client, so the rate budget and the outbound policy apply.
 */
import { Context } from '@temporalio/activity';
import { addHistory, type HistoryEntry } from '../db/history';
import { getIntegration } from '../db/integrations';
import { getLink } from '../db/links';
import { getRecord } from '../db/records';
import { finishAdoptionPreview, getAdoption, listAdoptionItems, setItemPreview } from '../db/adoptions';
import { type AdoptionAction, type FieldChange, fieldChanges } from '../domain/adoption';
import { MappingError } from '../domain/mapping';
import { syncedFieldNames } from '../domain/records';
import { syncExclusion } from '../domain/rules';
import { ASSET_COUNT_MAX_PAGES, type StartSelection } from '../domain/settings-impact';
import type { AdoptionPreviewInput, StartCount } from '../workflows/definitions';
import { BmsNotFoundError, BmsValidationError } from '../bms/errors';
import { PAGE_SIZE } from '../bms/client';
import { type ActivityDeps, BmsClients } from './context';
import { whileHeartbeating } from './heartbeat';
import { ensureLookups } from './lookups';
import { createDefaults, resolveRefs, syncedFieldsOf } from './push';
import { pushers } from './pushers';
import type { PushContext } from './pushers/pusher';

interface ItemPreview {
  action: AdoptionAction;
  bmsId: number | null;
  changes: FieldChange[];
  reason: string | null;
}

export function createAdoptActivities(deps: ActivityDeps) {
  const clients = new BmsClients(deps);

  async function previewAdoption(input: AdoptionPreviewInput): Promise<{ items: number }> {
    return whileHeartbeating(async () => {
      const adoption = await getAdoption(deps.db, input.accountId, input.adoptionId);
      if (!adoption || adoption.status !== 'computing') return { items: 0 };
      const integration = await getIntegration(deps.db, input.accountId);
      if (!integration) {
        await finishAdoptionPreview(deps.db, adoption.id, 'failed', 'Kaseya BMS is not connected');
        return { items: 0 };
      }
      const signal = Context.current().cancellationSignal;
      const client = await clients.forAccount(input.accountId, integration);
      const lookups = await ensureLookups(deps.db, client, integration, { signal });
      const items = await listAdoptionItems(deps.db, adoption.id);
      for (const item of items) {
        if (item.action !== null) continue; // done by an earlier attempt
        const preview = await previewOne(item.recordType, item.recordId);
        const entry: HistoryEntry = {
          accountId: input.accountId,
          recordType: item.recordType,
          recordId: item.recordId,
          kind: 'previewed',
          origin: 'ui',
          summary: `Push previewed by ${adoption.requestedByName}: ${describe(preview)}`,
          changes: preview.changes.length > 0 ? Object.fromEntries(preview.changes.map((c) => [c.field, { from: c.from, to: c.to }])) : undefined,
        };
        // The outcome and its history entry together: a retried attempt neither repeats nor loses one.
        await deps.db.transaction(async (trx) => {
          await setItemPreview(trx, adoption.id, item.position, preview);
          await addHistory(trx, entry);
        });
      }
      await finishAdoptionPreview(deps.db, adoption.id, 'ready');
      return { items: items.length };

      async function previewOne(recordType: PushContext['record']['type'], recordId: string): Promise<ItemPreview> {
        const none = { bmsId: null, changes: [] as FieldChange[] };
        const [record, link] = await Promise.all([getRecord(deps.db, input.accountId, recordType, recordId), getLink(deps.db, recordType, recordId)]);
        if (!record) return { action: 'skipped', ...none, reason: 'the record was deleted' };
        if (link?.state === 'disabled') return { action: 'skipped', ...none, reason: 'sync is disabled for this record' };
        if (link?.state === 'orphaned') return { action: 'skipped', ...none, reason: 'the record is orphaned: its Kaseya BMS record is gone or no longer matches the Sync Settings' };
        const synced = syncedFieldsOf(record);
        const fields = syncedFieldNames(recordType);
        const exclusion = syncExclusion(recordType, synced, integration!.settings, lookups);
        if (exclusion) return { action: 'excluded', ...none, reason: exclusion };
        const { refs, needs, exclusion: refExclusion } = await resolveRefs(deps.db, record, integration!, lookups);
        if (refExclusion) return { action: 'excluded', ...none, reason: refExclusion };
        if (link?.bmsId) {
          const changes = fieldChanges(synced, link.base ?? {}, fields);
          return { action: changes.length > 0 ? 'update' : 'unchanged', bmsId: link.bmsId, changes, reason: null };
        }
        if (needs) {
          return {
            action: 'create',
            ...none,
            changes: fieldChanges(synced, null, fields),
            reason: `its ${needs.recordType} is pushed first; the push then looks this record up in Kaseya BMS by its natural key before creating it`,
          };
        }
        try {
          const ctx: PushContext = { client, integration: integration!, lookups, defaults: createDefaults(integration!, lookups), record, synced, refs, deps, signal };
          const pusher = pushers[recordType]!;
          const existing = await pusher.findExisting(ctx);
          if (existing) {
            return { action: 'link', bmsId: existing.bmsId, changes: fieldChanges(synced, existing.fields, fields), reason: null };
          }
          await pusher.checkCreate(ctx);
          return { action: 'create', ...none, changes: fieldChanges(synced, null, fields), reason: null };
        } catch (err) {
          if (err instanceof MappingError) return { action: 'refused', ...none, reason: err.message };
          if (err instanceof BmsValidationError || err instanceof BmsNotFoundError) return { action: 'refused', ...none, reason: err.message };
          throw err;
        }
      }
    });
  }

  async function failAdoptionPreview(input: AdoptionPreviewInput & { error: string }): Promise<void> {
    await finishAdoptionPreview(deps.db, input.adoptionId, 'failed', input.error);
  }

  /**
   * How many BMS records each selection holds, by the cheapest listing that says: accounts and contacts
   * from the `totalRecords` of a one-item page of their summary lists (filtered by account type and
   * active flag); assets by paging the asset search (it reports no total) up to ASSET_COUNT_MAX_PAGES
   * pages (`atLeast` when there are more); locations are not counted (only per account, one request each).
   */
  async function countBmsSelections(input: { accountId: string; selections: StartSelection[] }): Promise<StartCount[]> {
    return whileHeartbeating(async () => {
      const signal = Context.current().cancellationSignal;
      const client = await clients.forAccount(input.accountId);
      const out: StartCount[] = [];
      for (const selection of input.selections) {
        switch (selection.recordType) {
          case 'organization': {
            const page = await client.accountsPage({ pageNumber: 1, pageSize: 1, accountTypeId: selection.typeId, isActive: selection.status === 'Active' }, signal);
            out.push({ selection, count: page.total ?? null, atLeast: false });
            break;
          }
          case 'contact': {
            const page = await client.contactsPage({ pageNumber: 1, pageSize: 1 }, signal);
            out.push({ selection, count: page.total ?? null, atLeast: false });
            break;
          }
          case 'configuration': {
            let count = 0;
            let more = false;
            for (let pageNumber = 1; ; pageNumber++) {
              const items = await client.assetsPage({ pageNumber, pageSize: PAGE_SIZE, categoryIds: [selection.typeId], isActive: selection.status === 'Active' }, signal);
              count += items.length;
              if (items.length < PAGE_SIZE) break;
              if (pageNumber >= ASSET_COUNT_MAX_PAGES) {
                more = true;
                break;
              }
            }
            out.push({ selection, count, atLeast: more });
            break;
          }
          case 'location':
            out.push({ selection, count: null, atLeast: false });
            break;
        }
      }
      return out;
    });
  }

  return { previewAdoption, failAdoptionPreview, countBmsSelections };
}

function describe(preview: ItemPreview): string {
  switch (preview.action) {
    case 'create':
      return 'would create it in Kaseya BMS';
    case 'link':
      return `would link it to Kaseya BMS record ${preview.bmsId}${preview.changes.length ? ` and send ${preview.changes.map((c) => c.field).join(', ')}` : ''}`;
    case 'update':
      return `would send ${preview.changes.map((c) => c.field).join(', ')}`;
    case 'unchanged':
      return 'nothing to send: Kaseya BMS already has it';
    case 'excluded':
      return `would not be pushed: ${preview.reason}`;
    case 'refused':
      return `would be refused: ${preview.reason}`;
    case 'skipped':
      return `would not be pushed: ${preview.reason}`;
  }
}
