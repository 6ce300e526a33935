import type { Knex } from 'knex';
import { normalizeEmail } from '../../domain/email';

/**
 * A user's email is unique within an account, no longer across all of them: one account adding an email
 * must neither learn that another account has it nor be blocked by it. Users are found by
 * `email_normalized`, the one form `normalizeEmail` gives, compared exactly: SQL's lower() follows the
 * database's locale and disagreed with the login throttle's key about characters such as `İ`.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.text('email_normalized');
  });
  // The normal form is the application's, so existing rows are filled in by it rather than by SQL.
  const users = (await knex('users').select('id', 'email')) as Array<{ id: string; email: string }>;
  for (const user of users) await knex('users').where({ id: user.id }).update({ email_normalized: normalizeEmail(user.email) });
  await knex.raw('ALTER TABLE users ALTER COLUMN email_normalized SET NOT NULL');
  await knex.raw('DROP INDEX users_email_unique');
  await knex.raw('CREATE UNIQUE INDEX users_account_email_unique ON users (account_id, email_normalized)');
  await knex.raw('CREATE INDEX users_email_normalized ON users (email_normalized)');
}

export async function down(knex: Knex): Promise<void> {
  // Going back would have to delete users; refuse with the reason instead.
  const shared = (await knex('users').select(knex.raw('lower(email) AS email')).groupByRaw('lower(email)').havingRaw('count(*) > 1')) as unknown[];
  if (shared.length > 0) {
    throw new Error(`Cannot make emails unique across accounts again: ${shared.length} emails are users in several accounts`);
  }
  await knex.raw('DROP INDEX users_email_normalized');
  await knex.raw('DROP INDEX users_account_email_unique');
  await knex.raw('CREATE UNIQUE INDEX users_email_unique ON users (lower(email))');
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('email_normalized');
  });
}
