/**
 * Runs the Temporal dev server (`temporal server start-dev`) as a child process: SQLite persistence,
 * optional Web UI, the project's search attributes registered at start. Used by `npm start`, the test
 * suite and the fault tests (which restart it).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { customSearchAttributes } from '../workflows/search-attributes';
import { makePrivateFiles } from './private-files';
import { GiveUpWaiting, waitFor } from './wait';


/**
 * Server settings the product relies on, on every Temporal it starts (dev server and cluster alike).
 * Fairness: tasks of one task queue are handed out in turn per fairness key (the product sets the account id
 * as the key), so one account with a large backlog (a first pull of a big tenant, an adoption of 500 records)
 * does not make every other account's tasks wait behind it.
 */
export const PRODUCT_DYNAMIC_CONFIG: Readonly<Record<string, string | number | boolean>> = {
  'matching.enableFairness': true,
};

export interface TemporalDevServerOptions {
  cliPath: string;
  ip?: string;
  port: number;
  /** Web UI port; undefined runs headless. */
  uiPort?: number;
  /** SQLite file; undefined keeps state in memory. */
  dbFile?: string;
  namespace?: string;
  /** Where the server's own output goes (default: discarded). */
  logFile?: string;
  startTimeoutMs?: number;
  /** Dynamic config values the server starts with (e.g. a lower continue-as-new suggestion threshold). */
  dynamicConfig?: Record<string, string | number | boolean>;
  /**
   * How long the namespace keeps closed workflows (their histories are deleted after it), set at each
   * start; undefined keeps the dev server's own (1 day).
   */
  retentionDays?: number;
}

export class TemporalDevServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;

  constructor(readonly options: TemporalDevServerOptions) {}

  get address(): string {
    return `${this.options.ip ?? '127.0.0.1'}:${this.options.port}`;
  }

  get uiUrl(): string | undefined {
    return this.options.uiPort ? `http://${this.options.ip ?? '127.0.0.1'}:${this.options.uiPort}` : undefined;
  }

  async start(): Promise<void> {
    const o = this.options;
    const args = ['server', 'start-dev', '--ip', o.ip ?? '127.0.0.1', '--port', String(o.port)];
    args.push('--namespace', o.namespace ?? 'default');
    if (o.uiPort) args.push('--ui-port', String(o.uiPort));
    else args.push('--headless');
    if (o.dbFile) {
      mkdirSync(path.dirname(o.dbFile), { recursive: true, mode: 0o700 });
      args.push('--db-filename', o.dbFile);
      // Write-ahead log, synced at checkpoints: a crash of the server loses nothing committed; only a
      // power loss may lose the last transactions. The default (rollback journal, full sync) makes every
      // write wait for several fsyncs.
      args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
    }
    for (const key of customSearchAttributes) args.push('--search-attribute', `${key.name}=Keyword`);
    args.push('--log-level', 'warn', '--log-format', 'json');
    args.push('--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true');
    args.push('--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true');
    for (const [key, value] of Object.entries({ ...PRODUCT_DYNAMIC_CONFIG, ...o.dynamicConfig })) {
      args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
    }

    const child = spawn(o.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let output = '';
    const capture = (chunk: Buffer) => {
      if (output.length < 20_000) output += chunk.toString();
    };
    child.stdout?.on('data', capture);
    child.stderr?.on('data', capture);
    if (o.logFile) {
      mkdirSync(path.dirname(o.logFile), { recursive: true, mode: 0o700 });
      makePrivateFiles([o.logFile]);
      const log = createWriteStream(o.logFile, { flags: 'a', mode: 0o600 });
      child.stdout?.pipe(log);
      child.stderr?.pipe(log);
    }
    let exitCode: number | null | undefined;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code) => {
        exitCode = code;
        resolve();
      });
    });

    await waitFor(
      async () => {
        if (exitCode !== undefined) {
          throw new GiveUpWaiting(`Temporal dev server exited with code ${exitCode}:\n${output.slice(-4000)}`);
        }
        return this.isReady();
      },
      { timeoutMs: o.startTimeoutMs ?? 60_000, intervalMs: 200, what: `Temporal dev server on ${this.address}` },
    );
    // The server creates its SQLite files with the default mode; SQLite gives the journal files it makes
    // later the database file's mode.
    if (o.dbFile) makePrivateFiles([o.dbFile, `${o.dbFile}-wal`, `${o.dbFile}-shm`]);
    if (o.retentionDays !== undefined) await this.setRetention(o.retentionDays);
  }

  /** Sets the namespace's retention of closed workflows (the dev server has no start flag for it). */
  private async setRetention(days: number): Promise<void> {
    const connection = await Connection.connect({ address: this.address });
    try {
      await connection.workflowService.updateNamespace({
        namespace: this.options.namespace ?? 'default',
        config: { workflowExecutionRetentionTtl: msToTs(`${days} days`) },
      });
    } finally {
      await connection.close();
    }
  }

  /** The namespace's retention of closed workflows, in days. */
  async retentionDays(): Promise<number> {
    const connection = await Connection.connect({ address: this.address });
    try {
      const ns = await connection.workflowService.describeNamespace({ namespace: this.options.namespace ?? 'default' });
      return Number(ns.config?.workflowExecutionRetentionTtl?.seconds ?? 0) / 86_400;
    } finally {
      await connection.close();
    }
  }

  /** True once the frontend answers and the namespace and search attributes exist. */
  private async isReady(): Promise<boolean> {
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address: this.address, connectTimeout: 1000 });
      const namespace = this.options.namespace ?? 'default';
      await connection.workflowService.describeNamespace({ namespace });
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      return customSearchAttributes.every((k) => customAttributes?.[k.name] !== undefined);
    } catch {
      return false;
    } finally {
      await connection?.close().catch(() => undefined);
    }
  }

  /** Stops the server (SIGTERM, then SIGKILL after `graceMs`). */
  async stop(graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    this.child = undefined;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}
