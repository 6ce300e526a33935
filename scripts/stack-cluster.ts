/**
 * `npm run stack:cluster`: a real Temporal server shaped like an operator's cluster (PostgreSQL
 * persistence and SQL visibility, 4 history shards, mTLS everywhere), on the PostgreSQL it is given
 * (DATABASE_URL, else the embedded one), with the namespace and the product's search attributes registered.
 * Checks what the product needs of a cluster, prints the TEMPORAL_* settings the product's processes need,
 * and runs until Ctrl-C. The databases (`temporal`, `temporal_visibility`) are kept for the next start;
 * the certificates are made anew at each start.
 */
import path from 'node:path';
import { Command } from 'commander';
import { loadConfig } from '../config';
import { startEmbeddedPostgres } from '../devstack/postgres';
import { findTemporalServerTools, TemporalCluster, TEMPORAL_SERVER_VERSION } from '../devstack/temporal-cluster';

async function main(): Promise<void> {
  const program = new Command()
    .name('stack:cluster')
    .option('--port <port>', 'frontend gRPC port', '7233')
    .option('--namespace <name>', 'namespace to register', 'default')
    .option('--retention-days <days>', 'workflow retention of the namespace', '3')
    .option('--shards <n>', 'history shards (fixed once the databases exist)', '4')
    .parse();
  const opts = program.opts<{ port: string; namespace: string; retentionDays: string; shards: string }>();
  const config = loadConfig();
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => console.error('stop failed:', err));
  };
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping');
    void stopAll().then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    let postgresUrl = config.database.url;
    if (!postgresUrl) {
      const pg = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.database.embeddedPort, log: (l) => console.log(l) });
      stops.push(() => pg.stop());
      postgresUrl = pg.url;
      console.log(`embedded PostgreSQL on 127.0.0.1:${config.database.embeddedPort}`);
    }
    const started = Date.now();
    const tools = await findTemporalServerTools({ log: (l) => console.log(l) });
    const cluster = new TemporalCluster({
      tools,
      postgresUrl,
      dir: path.join(config.dataDir, 'temporal-cluster'),
      namespace: opts.namespace,
      retentionDays: Number(opts.retentionDays),
      numHistoryShards: Number(opts.shards),
      frontendPort: Number(opts.port),
      log: (l) => console.log(l),
    });
    stops.push(() => cluster.stop());
    await cluster.start();
    console.log(`Temporal server ${TEMPORAL_SERVER_VERSION} ready in ${Math.round((Date.now() - started) / 1000)} s (log: ${cluster.logFile})`);

    const checks = await cluster.verify();
    for (const c of checks) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    if (checks.some((c) => !c.ok)) throw new Error('the cluster does not give the product what it needs (above)');

    console.log('\nRun the product against it with:\n');
    for (const [key, value] of Object.entries(cluster.clientEnv())) console.log(`export ${key}=${value}`);
    console.log('\nCtrl-C stops the server; its databases stay for the next start.');
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    await stopAll();
    process.exit(1);
  }
}

void main();
