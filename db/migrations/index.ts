/**
 * The ordered list of schema migrations. Listing them in code (instead of scanning a folder) lets the
 * same migrations run from TypeScript sources and from the compiled build.
 */
import type { Knex } from 'knex';
import * as initial from './20261125090000_initial';
import * as rateBudget from './20261125090100_rate_budget';
import * as assetSnapshots from './20261125093000_bms_asset_snapshots';
import * as syncRequests from './20261125094000_sync_requests';
import * as pullPerformance from './20261125110000_pull_performance';
import * as accountFkOffHotTables from './20261204120000_account_fk_off_hot_tables';
import * as apiKeyCreators from './20261206100000_api_key_creators';
import * as emailPerAccount from './20261206110000_email_per_account';
import * as idempotencyKeys from './20261206140000_idempotency_keys';
import * as oneDisabledState from './20261206160000_one_disabled_state';
import * as operations from './20261206170000_operations';
import * as notifications from './20261206170000_notifications';
import * as linkWaitingFor from './20261206180000_link_waiting_for';
import * as adoptions from './20261207090000_adoptions';
import * as matchReview from './20261207090000_match_review';
import * as retention from './20261208090000_retention';
import * as retentionCursors from './20261209090000_retention_cursors';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const migrations: Array<[name: string, migration: Migration]> = [
  ['20261125090000_initial', initial],
  ['20261125090100_rate_budget', rateBudget],
  ['20261125093000_bms_asset_snapshots', assetSnapshots],
  ['20261125094000_sync_requests', syncRequests],
  ['20261125110000_pull_performance', pullPerformance],
  ['20261204120000_account_fk_off_hot_tables', accountFkOffHotTables],
  ['20261206100000_api_key_creators', apiKeyCreators],
  ['20261206110000_email_per_account', emailPerAccount],
  ['20261206140000_idempotency_keys', idempotencyKeys],
  ['20261206160000_one_disabled_state', oneDisabledState],
  ['20261206170000_notifications', notifications],
  ['20261206170000_operations', operations],
  ['20261206180000_link_waiting_for', linkWaitingFor],
  ['20261207090000_adoptions', adoptions],
  ['20261207090000_match_review', matchReview],
  ['20261208090000_retention', retention],
  ['20261209090000_retention_cursors', retentionCursors],
];

export const migrationSource: Knex.MigrationSource<[string, Migration]> = {
  getMigrations: () => Promise.resolve(migrations),
  getMigrationName: ([name]) => name,
  getMigration: ([, migration]) => Promise.resolve(migration),
};
