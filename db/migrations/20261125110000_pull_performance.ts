import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // A link whose BMS record refers to a record not linked here yet (a parent account on a later page, a
  // contact's location not synced yet) is flagged, so resolving references after a pass reads only the
  // flagged links (a small partial index) instead of every link of the account.
  await knex.schema.alterTable('sync_links', (t) => {
    t.boolean('unresolved_refs').notNullable().defaultTo(false);
  });
  await knex.raw('CREATE INDEX sync_links_unresolved_refs ON sync_links (account_id, record_type) WHERE unresolved_refs');
  // Links stored before the flag existed: every one with a BMS reference is checked once by the next pull.
  await knex.raw(
    `UPDATE sync_links SET unresolved_refs = true
     WHERE remote_refs IS NOT NULL AND EXISTS (SELECT 1 FROM jsonb_each(remote_refs) e WHERE jsonb_typeof(e.value) = 'number')`,
  );

  // Asset snapshots: a listing no longer marks every row it shows (`seen_run`) and the deep refresh no
  // longer stamps `fetched_at`; a pull that finds nothing changed writes nothing here
  // (activities/pullers/assets.ts: the listing's tally, the rotating refresh offset in pull_watermarks.state).
  await knex.schema.alterTable('bms_asset_snapshots', (t) => {
    t.dropIndex(['account_id', 'fetched_at']);
    t.dropColumn('fetched_at');
    t.dropColumn('seen_run');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('bms_asset_snapshots', (t) => {
    t.timestamp('fetched_at', { useTz: true }).nullable();
    t.uuid('seen_run').nullable();
    t.index(['account_id', 'fetched_at']);
  });
  await knex.raw('DROP INDEX IF EXISTS sync_links_unresolved_refs');
  await knex.schema.alterTable('sync_links', (t) => {
    t.dropColumn('unresolved_refs');
  });
}
