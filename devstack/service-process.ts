/**
 * Runs one of the project's processes (simulator, worker, API) as a child, with the same TypeScript loader
 * as the parent, and stops it gracefully (SIGTERM, then SIGKILL after a grace period).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { openSync } from 'node:fs';

export interface ServiceProcessOptions {
  args?: string[];
  /** Node options placed before the script (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
  nodeArgs?: string[];
  /** Where its output goes: the parent's terminal (default), nowhere, or a file (appended). */
  output?: 'inherit' | 'ignore' | { file: string };
  /** Open a Node IPC channel: the child's `process.send()` messages reach `listen`. */
  ipc?: boolean;
}

export class ServiceProcess {
  private child: ChildProcess | undefined;

  constructor(
    readonly name: string,
    private readonly script: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly options: ServiceProcessOptions = {},
  ) {}

  start(): void {
    const loader = this.script.endsWith('.ts') ? ['--import', 'tsx'] : [];
    const output = this.options.output ?? 'inherit';
    const sink = typeof output === 'object' ? openSync(output.file, 'a') : output;
    this.child = spawn(process.execPath, [...(this.options.nodeArgs ?? []), ...loader, this.script, ...(this.options.args ?? [])], {
      env: this.env,
      stdio: this.options.ipc ? ['ignore', sink, sink, 'ipc'] : ['ignore', sink, sink],
    });
    this.child.once('exit', (code, signal) => {
      if (code !== 0 && signal === null) process.stderr.write(`${this.name} exited with code ${code}\n`);
    });
  }

  /**
   * Calls `onMessage` with each message the child sends (needs `ipc`), and `onExit` if it exits meanwhile;
   * returns the unsubscribe.
   */
  listen(onMessage: (message: unknown) => void, onExit: (code: number | null) => void): () => void {
    const child = this.child;
    if (!child) throw new Error(`${this.name} is not running`);
    child.on('message', onMessage);
    child.once('exit', onExit);
    return () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Kills it at once (SIGKILL), as a crash would. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  async stop(graceMs = 15_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
