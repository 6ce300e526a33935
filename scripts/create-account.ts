/** `npm run create-account -- --name "Acme MSP" --plan select --email a@b.c`: an account and its first administrator. */
import { randomBytes } from 'node:crypto';
import { Command, Option } from 'commander';
import { loadConfig } from '../config';
import { createDb, resolveDatabaseUrl } from '../db';
import { type Plan, PLANS } from '../domain/access';
import { createAccount, createUser } from '../services/accounts';
import { requireStrongPassword } from '../services/passwords';

const program = new Command('create-account')
  .requiredOption('--name <name>', 'account name')
  .requiredOption('--email <email>', 'email of the first administrator')
  .option('--admin-name <name>', 'name of the first administrator', 'Administrator')
  .option('--password <password>', 'password (default: generated and printed)')
  .addOption(new Option('--plan <plan>', 'plan').choices([...PLANS]).default('basic'))
  .parse();

async function main(): Promise<void> {
  const opts = program.opts<{ name: string; email: string; adminName: string; password?: string; plan: Plan }>();
  const config = loadConfig();
  const db = createDb({ url: resolveDatabaseUrl(config) });
  try {
    // A generated password is random enough; one the operator chose must pass the same policy as the API's.
    if (opts.password) await requireStrongPassword(opts.password, [opts.email, opts.adminName]);
    const password = opts.password ?? randomBytes(12).toString('base64url');
    const account = await createAccount(db, { name: opts.name, plan: opts.plan });
    await createUser(db, { accountId: account.id, email: opts.email, name: opts.adminName, role: 'administrator', password });
    console.log(`account ${account.id} (${account.plan})`);
    console.log(`administrator ${opts.email}${opts.password ? '' : ` / ${password}`}`);
  } finally {
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
