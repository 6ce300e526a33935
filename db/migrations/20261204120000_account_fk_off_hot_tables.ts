import type { Knex } from 'knex';

/**
 * The tables a pull fills by the hundred thousand (records, their links, their history) no longer carry a
 * foreign key to `accounts`. Every row of them is written by code that holds an existing account id, and
 * accounts are never deleted, so the key guarded nothing; it cost a lookup and a row lock on the one
 * account row per inserted row (PostgreSQL checks foreign keys row by row, and parallel writers share that
 * lock through a multixact): a 20k-account first pull spent about a fifth of its PostgreSQL time on it.
 * The keys that carry meaning stay: a record's organization (deleting it deletes its locations, contacts
 * and configurations), parent and location references, and the small tables' keys to the account.
 */
const HOT_TABLES = ['organizations', 'locations', 'contacts', 'configurations', 'sync_links', 'record_history'] as const;

export async function up(knex: Knex): Promise<void> {
  for (const table of HOT_TABLES) {
    await knex.schema.alterTable(table, (t) => {
      t.dropForeign(['account_id']);
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of HOT_TABLES) {
    await knex.schema.alterTable(table, (t) => {
      t.foreign('account_id').references('accounts.id').onDelete('CASCADE');
    });
  }
}
