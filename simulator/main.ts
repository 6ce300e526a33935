/**
 * Command line: starts one simulator and keeps it running until SIGINT/SIGTERM.
 *   tsx simulator/main.ts --port 4010 --seed demo --rate-limit off
 */
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config';
import { createLogger } from '../lib/logger';
import { createSimulator, DEFAULT_SIMULATOR_OPTIONS, type SimulatorOptions } from './index';

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number, 0 or more');
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

function rateLimit(value: string): number | 'off' {
  if (value.toLowerCase() === 'off') return 'off';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a positive integer or 'off'");
  return n;
}

function seed(value: string): 'demo' | 'none' {
  if (value !== 'demo' && value !== 'none') throw new InvalidArgumentError("must be 'demo' or 'none'");
  return value;
}

interface CliOptions {
  host: string;
  port: number;
  tenant: string;
  username: string;
  password: string;
  seed: 'demo' | 'none';
  tokenTtl: number;
  rateLimit: number | 'off';
  rateWindow: number;
  maxPageSize: number;
  stateFile?: string;
  tenants: number;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const d = DEFAULT_SIMULATOR_OPTIONS;
  const program = new Command()
    .name('bms-simulator')
    .description('Kaseya BMS REST API simulator (one or many tenants)')
    .option('--host <host>', 'interface to listen on', config.simulator.host)
    .option('--port <port>', 'port to listen on (0 = any free port)', port, config.simulator.port)
    .option('--tenant <name>', 'default tenant (BMS company name)', d.tenant)
    .option('--username <name>', 'API user name', d.username)
    .option('--password <password>', 'API user password', d.password)
    .option('--seed <seed>', 'initial data: demo | none', seed, d.seed)
    .option('--token-ttl <seconds>', 'access token lifetime', positiveNumber, d.tokenTtlSeconds)
    .option('--rate-limit <n>', "requests per route per window, or 'off'", rateLimit, d.rateLimit.limit)
    .option('--rate-window <seconds>', 'rate limit window', positiveNumber, d.rateLimit.windowSeconds)
    .option('--max-page-size <n>', 'largest page served', (v) => Math.floor(positiveNumber(v)), d.maxPageSize)
    .option('--state-file <path>', 'keep the data in this JSON file across restarts')
    .option('--tenants <n>', "extra tenants 'Tenant 1'..'Tenant n' (same user and password, no data)", wholeNumber, 0)
    .parse();
  const opts = program.opts<CliOptions>();

  const logger = createLogger('bms-simulator');
  const options: SimulatorOptions = {
    host: opts.host,
    port: opts.port,
    tenant: opts.tenant,
    username: opts.username,
    password: opts.password,
    seed: opts.seed,
    tokenTtlSeconds: opts.tokenTtl,
    rateLimit: opts.rateLimit === 'off' ? null : { limit: opts.rateLimit, windowSeconds: opts.rateWindow },
    maxPageSize: opts.maxPageSize,
    stateFile: opts.stateFile,
    tenants: opts.tenants,
    logger,
  };
  const sim = await createSimulator(options);
  const limit = options.rateLimit ? `${options.rateLimit.limit} per ${options.rateLimit.windowSeconds} s per route` : 'off';
  process.stdout.write(
    [
      '',
      `Kaseya BMS simulator listening on ${sim.url}`,
      `  V2 API     ${sim.url}/v2/...   (POST /v2/security/authenticate)`,
      `  V1 API     ${sim.url}/api/...  (POST /api/token)`,
      `  Admin      ${sim.url}/_sim/... (no auth)`,
      `  Tenant     ${opts.tenant}${sim.hub.tenantCount > 1 ? ` (+ ${sim.hub.tenantCount - 1} more, GET /_sim/tenants)` : ''}`,
      `  User       ${opts.username}`,
      `  Password   ${opts.password}`,
      `  Rate limit ${limit}`,
      `  Data       ${JSON.stringify(sim.store.counts())}${opts.stateFile ? ` (state file ${opts.stateFile})` : ''}`,
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping the BMS simulator');
    sim.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`bms-simulator failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
