/**
 * Runs one of the project's processes (simulator, worker, API) as a child, with the same TypeScript loader
 * as the parent, and stops it gracefully (SIGTERM, then SIGKILL after a grace period).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

export class ServiceProcess {
  private child: ChildProcess | undefined;

  constructor(
    readonly name: string,
    private readonly script: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly args: string[] = [],
  ) {}

  start(): void {
    const loader = this.script.endsWith('.ts') ? ['--import', 'tsx'] : [];
    this.child = spawn(process.execPath, [...loader, this.script, ...this.args], {
      env: this.env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    this.child.once('exit', (code, signal) => {
      if (code !== 0 && signal === null) process.stderr.write(`${this.name} exited with code ${code}\n`);
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
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
