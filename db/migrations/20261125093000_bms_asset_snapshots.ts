import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // The BMS asset list (searchselect) has no modified filter, and a full asset costs one GET. Each pull
  // lists every summary; this keeps what the last listing showed of each asset, so a pull GETs only the
  // assets whose summary moved since their last GET, plus a few of the least recently fetched
  // (activities/pullers/assets.ts, docs/mapping.md).
  await knex.schema.createTable('bms_asset_snapshots', (t) => {
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.integer('bms_id').notNullable();
    /** The BMS account the asset belonged to when last listed (to list that account again on a miss). */
    t.integer('bms_account_id').notNullable();
    /** Hash of the mapped data the last listing's summary showed (activities/pullers/assets.ts, summaryHash). */
    t.text('summary_hash').notNullable();
    /** `summary_hash` as of the last GET that was stored; null = never fetched. */
    t.text('fetched_hash').nullable();
    t.timestamp('fetched_at', { useTz: true }).nullable();
    /** The sync run whose listing last showed the asset (set difference: a run that did not is a miss). */
    t.uuid('seen_run').nullable();
    t.primary(['account_id', 'bms_id']);
    t.index(['account_id', 'fetched_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('bms_asset_snapshots');
}
