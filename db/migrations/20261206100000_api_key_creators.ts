import type { Knex } from 'knex';

/**
 * An API key remembers what made it: a user, another API key, or the operator (scripts, with no creator).
 * A key lives only while the chain that made it does, so the kind is kept apart from the creator's id:
 * when a creating user or key is deleted its id becomes NULL, and the kind still says the key had one.
 * Keys from before this migration with no recorded creator cannot be told apart; they count as the
 * operator's, so upgrading stops no running automation.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_keys', (t) => {
    t.uuid('created_by_api_key_id').nullable().references('api_keys.id').onDelete('SET NULL');
    t.text('created_by_kind').notNullable().defaultTo('operator');
    t.check("created_by_kind IN ('operator','user','api_key')", [], 'api_keys_created_by_kind_check');
  });
  await knex('api_keys').whereNotNull('created_by').update({ created_by_kind: 'user' });
  // Every new key must say what made it.
  await knex.raw('ALTER TABLE api_keys ALTER COLUMN created_by_kind DROP DEFAULT');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_keys', (t) => {
    t.dropChecks(['api_keys_created_by_kind_check']);
    t.dropColumn('created_by_kind');
    t.dropColumn('created_by_api_key_id');
  });
}
