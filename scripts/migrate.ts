/** `npm run migrate`: applies pending migrations (`-- --rollback` undoes all of them). */
import { Command } from 'commander';
import { loadConfig } from '../config';
import { createDb, migrateLatest, migrateRollbackAll, resolveDatabaseUrl } from '../db';

const program = new Command('migrate').option('--rollback', 'undo every migration').parse();

async function main(): Promise<void> {
  const config = loadConfig();
  const db = createDb({ url: resolveDatabaseUrl(config) });
  try {
    if (program.opts<{ rollback?: boolean }>().rollback) {
      await migrateRollbackAll(db);
      console.log('all migrations rolled back');
    } else {
      const applied = await migrateLatest(db);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'already up to date');
    }
  } finally {
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
