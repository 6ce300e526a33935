import type { Knex } from 'knex';

/**
 * A queued push that waits for another record to reach Kaseya BMS first (a contact for its organization)
 * says which one, so the record can be listed as waiting on it with a link to it. Nullable without a
 * default: adding it rewrites nothing.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sync_links', (t) => {
    t.jsonb('waiting_for').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sync_links', (t) => {
    t.dropColumn('waiting_for');
  });
}
