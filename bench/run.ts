/**
 * `npm run bench`: measures bms-docsync as users feel it, each figure beside its floor measured in the same
 * run on the same machine, and prints a table plus a JSON file (bench/results/<timestamp>.json).
 *
 *   npm run bench                      full sizes (10k and 100k pulls, 500 + 5,000 saves)
 *   npm run bench -- --smoke           tiny sizes (what the test suite runs)
 *   npm run bench -- --pull-large 50000 --cpu-prof
 *   npm run bench -- --temporal cluster   on the Temporal server with PostgreSQL persistence and mTLS
 *   npm run bench -- --capacity        N tenants at steady state (bench/capacity.ts)
 *
 * It is not a timed test: a missed target never fails it; only a phase that could not run does.
 * See bench/README.md for how each figure is measured.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, type Connection } from '@temporalio/client';
import { Command, InvalidArgumentError } from 'commander';
import { HttpClient } from '../test/helpers/api-client';
import { runCapacity } from './capacity';
import { machineInfo } from './measure';
import {
  type BenchContext,
  noChangePhase,
  pullPhase,
  pushLatencyPhase,
  pushThroughputPhase,
  retireAccount,
  syncedOrganizations,
} from './phases';
import { type BenchResults, evaluate, formatTable, TARGETS } from './report';
import { SimEventStream } from './sim-events';
import { StatementLog } from './sql-log';
import { BenchStack, TEMPORAL_ENGINES, type TemporalEngine } from './stack';

function count(value: string): number {
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number');
  return n;
}

interface Options {
  smoke: boolean;
  temporal: TemporalEngine;
  pullSmall: number;
  pullLarge: number;
  latencySaves: number;
  throughputSaves: number;
  concurrency: number;
  assets: number;
  warmup: number;
  stageSamples: number;
  out?: string;
  cpuProf: boolean;
  sqlLog?: string;
  keep: boolean;
}

const FULL = { pullSmall: 10_000, pullLarge: 100_000, latencySaves: 500, throughputSaves: 5_000, concurrency: 50, assets: 1_000, warmup: 5, stageSamples: 50 };
const SMOKE = { pullSmall: 1_000, pullLarge: 2_000, latencySaves: 20, throughputSaves: 200, concurrency: 20, assets: 100, warmup: 2, stageSamples: 10 };

function parseOptions(): Options {
  const program = new Command()
    .name('bench')
    .description('Benchmark of bms-docsync: push latency and throughput, pull rate, request cost, memory, scaling')
    .option('--smoke', 'tiny counts (seconds, not minutes): checks that every figure is produced', false)
    .option(
      '--temporal <engine>',
      `what runs Temporal: ${TEMPORAL_ENGINES.join(' or ')} (the dev server; or the Temporal server on PostgreSQL with mTLS, devstack/temporal-cluster.ts)`,
      (value: string) => {
        if (!(TEMPORAL_ENGINES as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${TEMPORAL_ENGINES.join(', ')}`);
        return value as TemporalEngine;
      },
      'dev',
    )
    .option('--pull-small <n>', `accounts (each with one contact and one location) in the small pull [${FULL.pullSmall}; smoke ${SMOKE.pullSmall}]`, count)
    .option('--pull-large <n>', `accounts in the large pull, which the push phases then use [${FULL.pullLarge}; smoke ${SMOKE.pullLarge}]`, count)
    .option('--latency-saves <n>', `sequential UI saves for push latency [${FULL.latencySaves}; smoke ${SMOKE.latencySaves}]`, count)
    .option('--throughput-saves <n>', `saves (one per record) for push throughput [${FULL.throughputSaves}; smoke ${SMOKE.throughputSaves}]`, count)
    .option('--concurrency <n>', `saves in flight at once for push throughput [${FULL.concurrency}; smoke ${SMOKE.concurrency}]`, count)
    .option('--assets <n>', `hardware assets added before the no-change pull [${FULL.assets}; smoke ${SMOKE.assets}]`, count)
    .option('--warmup <n>', `unmeasured saves (and floor writes) before push latency [${FULL.warmup}; smoke ${SMOKE.warmup}]`, count)
    .option('--stage-samples <n>', `saves whose Temporal history is read for the stage breakdown [${FULL.stageSamples}; smoke ${SMOKE.stageSamples}]`, count)
    .option('--out <file>', 'JSON result file [bench/results/<timestamp>.json]')
    .option('--cpu-prof', 'write V8 CPU profiles of the worker and API processes next to the JSON file', false)
    .option('--sql-log <file>', "profile SQL: log every statement of the bench's database and read them back from this PostgreSQL server log")
    .option('--keep', 'keep the temporary folder (process logs, Temporal database) afterwards', false)
    .parse();
  const o = program.opts<Partial<Options> & { smoke: boolean; temporal: TemporalEngine; cpuProf: boolean; keep: boolean }>();
  const d = o.smoke ? SMOKE : FULL;
  const opts: Options = {
    smoke: o.smoke,
    temporal: o.temporal,
    pullSmall: o.pullSmall ?? d.pullSmall,
    pullLarge: o.pullLarge ?? d.pullLarge,
    latencySaves: o.latencySaves ?? d.latencySaves,
    throughputSaves: o.throughputSaves ?? d.throughputSaves,
    concurrency: Math.max(1, o.concurrency ?? d.concurrency),
    assets: o.assets ?? d.assets,
    warmup: o.warmup ?? d.warmup,
    stageSamples: o.stageSamples ?? d.stageSamples,
    out: o.out,
    cpuProf: o.cpuProf,
    sqlLog: o.sqlLog,
    keep: o.keep,
  };
  const needed = opts.warmup + opts.latencySaves + opts.throughputSaves;
  // About 95% of generated accounts are active (and so synced).
  if (needed > opts.pullLarge * 0.9) {
    program.error(`the push phases need ${needed} synced organizations; --pull-large ${opts.pullLarge} gives about ${Math.floor(opts.pullLarge * 0.9)}`);
  }
  return opts;
}

async function main(): Promise<number> {
  // The capacity run has its own options and stages (bench/capacity.ts).
  if (process.argv.includes('--capacity')) return runCapacity(process.argv);
  const opts = parseOptions();
  const startedAt = new Date();
  const t0 = performance.now();
  const log = (line: string) => process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const outFile = path.resolve(opts.out ?? path.join(__dirname, 'results', `${stamp}${opts.smoke ? '-smoke' : ''}${opts.temporal === 'cluster' ? '-cluster' : ''}.json`));
  const cpuProfDir = opts.cpuProf ? outFile.replace(/\.json$/, '') + '-cpuprof' : undefined;
  const machineBefore = machineInfo();

  const stack = new BenchStack({ log, temporal: opts.temporal, cpuProfDir, logStatements: opts.sqlLog !== undefined });
  const results: BenchResults = {};
  const errors: Array<{ phase: string; error: string }> = [];
  let events: SimEventStream | undefined;
  let temporalConnection: Connection | undefined;

  let stopping: Promise<void> | undefined;
  const shutdown = (keep: boolean) => {
    stopping ??= (async () => {
      events?.close();
      await temporalConnection?.close().catch(() => undefined);
      await stack.stop(keep);
    })();
    return stopping;
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping the stack`);
      void shutdown(false).then(() => process.exit(130));
    });
  }

  const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T | undefined> => {
    const started = performance.now();
    log(`${name}: start`);
    try {
      const value = await fn();
      log(`${name}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      return value;
    } catch (err) {
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      errors.push({ phase: name, error: message });
      log(`${name}: FAILED: ${message}`);
      return undefined;
    }
  };

  const pullTimeout = (accounts: number) => 120_000 + accounts * 2 * 20;
  try {
    await stack.start();
    events = await SimEventStream.open(stack.simUrl, 'all');
    temporalConnection = await stack.connectTemporal();
    const ctx: BenchContext = {
      stack,
      sim: new HttpClient(stack.simUrl),
      events,
      temporal: new Client({ connection: temporalConnection, namespace: stack.namespace }),
      sqlLog: opts.sqlLog ? new StatementLog(opts.sqlLog, stack.database) : undefined,
      log,
    };

    results.pullSmall = await phase('pull (small)', () => pullPhase(ctx, opts.pullSmall, `pull ${opts.pullSmall}`, pullTimeout(opts.pullSmall)));
    if (results.pullSmall) await retireAccount(results.pullSmall.account);
    // Fresh worker and API processes, so the large pull's memory is its own.
    await stack.restartServices();
    results.pullLarge = await phase('pull (large)', () => pullPhase(ctx, opts.pullLarge, `pull ${opts.pullLarge}`, pullTimeout(opts.pullLarge)));
    const account = results.pullLarge?.account;
    if (account) {
      results.noChange = await phase('no-change pull', () => noChangePhase(ctx, account, opts.assets, pullTimeout(opts.pullLarge)));
      const orgs = await phase('pick synced organizations', () =>
        syncedOrganizations(account, opts.warmup + opts.latencySaves + opts.throughputSaves),
      );
      if (orgs) {
        const warm = orgs.slice(0, opts.warmup);
        const timed = orgs.slice(opts.warmup, opts.warmup + opts.latencySaves);
        const bulk = orgs.slice(opts.warmup + opts.latencySaves);
        results.pushLatency = await phase('push latency', () => pushLatencyPhase(ctx, account, timed, warm, opts.stageSamples));
        results.pushThroughput = await phase('push throughput', () =>
          pushThroughputPhase(ctx, account, bulk, opts.concurrency, 120_000 + bulk.length * 200),
        );
      }
    }
  } catch (err) {
    errors.push({ phase: 'stack', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    log(`FAILED: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    const keep = opts.keep || errors.length > 0;
    if (keep) log(`keeping ${stack.tmpDir} (process logs: simulator.log, worker.log, api.log, temporal.log or temporal-cluster/temporal-server.log)`);
    await shutdown(keep);
  }

  const { figures, rows } = evaluate(results);
  const { account: _a1, ...pullSmall } = results.pullSmall ?? { account: undefined };
  const { account: _a2, ...pullLarge } = results.pullLarge ?? { account: undefined };
  const report = {
    mode: opts.smoke ? 'smoke' : 'full',
    temporal: { engine: opts.temporal, label: stack.engineLabel },
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    durationSeconds: Math.round((performance.now() - t0) / 100) / 10,
    options: opts,
    machine: { ...machineBefore, loadAverageAtEnd: machineInfo().loadAverage, postgres: stack.postgresVersion, postgresSettings: stack.postgresSettings },
    targets: TARGETS,
    figures,
    table: rows,
    details: { ...results, pullSmall: results.pullSmall ? pullSmall : undefined, pullLarge: results.pullLarge ? pullLarge : undefined },
    errors,
    cpuProfiles: cpuProfDir,
  };
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);

  const m = report.machine;
  process.stdout.write(
    [
      '',
      `bms-docsync benchmark (${report.mode}) on the ${stack.engineLabel} — ${m.cpuModel} × ${m.cpuCount}, ${m.memoryGb} GB, Node ${m.node}, PostgreSQL ${m.postgres ?? '?'}, load ${m.loadAverage.join(' ')} → ${m.loadAverageAtEnd.join(' ')}`,
      '',
      formatTable(rows),
      '',
      errors.length ? `phases that failed: ${errors.map((e) => e.phase).join(', ')}` : 'every phase ran',
      `results: ${outFile}`,
      ...(cpuProfDir ? [`CPU profiles: ${cpuProfDir}`] : []),
      '',
    ].join('\n'),
  );
  return errors.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
