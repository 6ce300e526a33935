/** Measuring helpers: percentiles, process memory from /proc, PostgreSQL write counters, machine facts. */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { Db } from '../db';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Nearest-rank percentile of `values` (not necessarily sorted); NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export interface Distribution {
  n: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export function distribution(values: readonly number[]): Distribution {
  const mean = values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
  return {
    n: values.length,
    min: round(Math.min(...values), 2),
    p50: round(percentile(values, 50), 2),
    p95: round(percentile(values, 95), 2),
    p99: round(percentile(values, 99), 2),
    max: round(Math.max(...values), 2),
    mean: round(mean, 2),
  };
}

// ---------------------------------------------------------------- memory

/** VmRSS and VmHWM (peak RSS over the process's life) of a process, in MB; undefined once it is gone. */
export function procMemory(pid: number): { rssMb: number; hwmMb: number } | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: round(kb('VmRSS') / 1024), hwmMb: round(kb('VmHWM') / 1024) };
}

export interface MemorySummary {
  samples: number;
  intervalMs: number;
  startMb: number;
  /** Largest sampled VmRSS. */
  peakMb: number;
  endMb: number;
  /** VmHWM at the start and the end: the kernel's own peak over the process's life (startup included). */
  hwmStartMb: number;
  hwmMb: number;
  /**
   * The peak during the sampled window: VmHWM at the end when it rose during the window (it then catches
   * spikes between samples), else the largest sample.
   */
  windowPeakMb: number;
  /** Mean RSS over the first and the last quarter of the samples: growth within the run shows here. */
  firstQuarterMeanMb: number;
  lastQuarterMeanMb: number;
}

/** Samples VmRSS of some processes every `intervalMs` (200 ms) until stopped. */
export class MemorySampler {
  private readonly samples = new Map<string, number[]>();
  private readonly hwmStart = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pids: Record<string, number | undefined>,
    private readonly intervalMs = 200,
  ) {
    for (const name of Object.keys(pids)) this.samples.set(name, []);
  }

  start(): this {
    for (const [name, pid] of Object.entries(this.pids)) this.hwmStart.set(name, (pid !== undefined && procMemory(pid)?.hwmMb) || NaN);
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  private sample(): void {
    for (const [name, pid] of Object.entries(this.pids)) {
      const mem = pid === undefined ? undefined : procMemory(pid);
      if (mem) this.samples.get(name)!.push(mem.rssMb);
    }
  }

  stop(): Record<string, MemorySummary> {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    const out: Record<string, MemorySummary> = {};
    for (const [name, values] of this.samples) {
      const pid = this.pids[name];
      const q = Math.max(1, Math.floor(values.length / 4));
      const mean = (xs: number[]) => round(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length));
      const peakMb = values.length ? Math.max(...values) : NaN;
      const hwmStartMb = this.hwmStart.get(name) ?? NaN;
      const hwmMb = (pid !== undefined && procMemory(pid)?.hwmMb) || NaN;
      out[name] = {
        samples: values.length,
        intervalMs: this.intervalMs,
        startMb: values[0] ?? NaN,
        peakMb,
        endMb: values.at(-1) ?? NaN,
        hwmStartMb,
        hwmMb,
        windowPeakMb: hwmMb > hwmStartMb ? hwmMb : peakMb,
        firstQuarterMeanMb: mean(values.slice(0, q)),
        lastQuarterMeanMb: mean(values.slice(-q)),
      };
    }
    return out;
  }
}

// ---------------------------------------------------------------- PostgreSQL writes

export type TableWrites = Record<string, { inserted: number; updated: number; deleted: number }>;

/**
 * Row writes per table so far (pg_stat_user_tables). Backends report these counters lazily: a busy
 * backend flushes at most once a second and an idle one within 10 s (PostgreSQL 15+), so callers wait
 * for quiet (`settledTableWrites`) before trusting a reading.
 */
export async function tableWrites(db: Db): Promise<TableWrites> {
  await db.raw('SELECT pg_stat_clear_snapshot()');
  const { rows } = (await db.raw(
    'SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables ORDER BY relname',
  )) as { rows: Array<{ relname: string; n_tup_ins: string; n_tup_upd: string; n_tup_del: string }> };
  const out: TableWrites = {};
  for (const r of rows) out[r.relname] = { inserted: Number(r.n_tup_ins), updated: Number(r.n_tup_upd), deleted: Number(r.n_tup_del) };
  return out;
}

/** Reads the counters once every backend has had time to flush (11 s quiet, then stable over 1 s). */
export async function settledTableWrites(db: Db, quietMs = 11_000): Promise<TableWrites> {
  await sleep(quietMs);
  let previous = await tableWrites(db);
  for (let i = 0; i < 10; i++) {
    await sleep(1000);
    const current = await tableWrites(db);
    if (JSON.stringify(current) === JSON.stringify(previous)) return current;
    previous = current;
  }
  return previous;
}

/** Tables whose counters moved between two readings, with the deltas. */
export function writesBetween(before: TableWrites, after: TableWrites): TableWrites {
  const out: TableWrites = {};
  for (const [table, a] of Object.entries(after)) {
    const b = before[table] ?? { inserted: 0, updated: 0, deleted: 0 };
    const d = { inserted: a.inserted - b.inserted, updated: a.updated - b.updated, deleted: a.deleted - b.deleted };
    if (d.inserted || d.updated || d.deleted) out[table] = d;
  }
  return out;
}

/** Pid of the Temporal dev server or server this process started (a child named `temporal` or `server`). */
export function temporalPid(): number | undefined {
  return allProcs().find((p) => (p.comm === 'temporal' || p.comm === 'server') && p.ppid === process.pid)?.pid;
}

/**
 * Proportional set size of every `postgres` process together, MB (smaps_rollup: shared buffers are
 * divided among the processes that map them, so the sum is the server's real memory). NaN when unreadable.
 */
export function postgresPssMb(): number {
  let kb = 0;
  let read = 0;
  for (const p of allProcs()) {
    if (p.comm !== 'postgres') continue;
    try {
      const text = readFileSync(`/proc/${p.pid}/smaps_rollup`, 'utf8');
      kb += Number(/^Pss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0);
      read++;
    } catch {
      // gone, or not ours to read
    }
  }
  return read ? round(kb / 1024) : NaN;
}

// ---------------------------------------------------------------- machine

export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  memoryGb: number;
  freeMemoryGb: number;
  loadAverage: number[];
  node: string;
  platform: string;
  kernel: string;
  postgres?: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    memoryGb: round(os.totalmem() / 1024 ** 3),
    freeMemoryGb: round(os.freemem() / 1024 ** 3),
    loadAverage: os.loadavg().map((l) => round(l, 2)),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
  };
}

// ---------------------------------------------------------------- CPU

/** Kernel clock ticks per second (USER_HZ), 100 on Linux everywhere in practice. */
const CLK_TCK = 100;

interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime, seconds. */
  cpu: number;
  /** cutime + cstime (children already waited for), seconds. */
  childrenCpu: number;
}

function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const f = text.slice(close + 2).split(' ');
  return {
    pid,
    comm,
    ppid: Number(f[1]),
    cpu: (Number(f[11]) + Number(f[12])) / CLK_TCK,
    childrenCpu: (Number(f[13]) + Number(f[14])) / CLK_TCK,
  };
}

function allProcs(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat) out.push(stat);
  }
  return out;
}

/** Busy CPU seconds of the whole machine so far (all CPUs; /proc/stat without idle and iowait). */
function machineBusy(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - v[3]! - v[4]!) / CLK_TCK;
}

interface CpuSnapshot {
  at: number;
  seconds: Record<string, number>;
  /** CPU seconds of each backend of the bench's database, by pid. */
  backends: Map<number, number>;
  /** CPU seconds of every `postgres` process, by pid (with `allPostgres`). */
  server: Map<number, number>;
  machine: number;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

export interface CpuUsage {
  wallSeconds: number;
  /** CPU seconds per process (group) over the window, and the same as CPUs kept busy on average. */
  byProcess: Record<string, { cpuSeconds: number; cores: number }>;
  machine: { cpuSeconds: number; cores: number; of: number };
  /** What the machine did besides the bench's processes (other work on a shared machine). */
  others: { cpuSeconds: number; cores: number };
}

/**
 * CPU time of the stack's processes between two points: the given pids, the bench itself, the Temporal
 * dev server or server (a child of the bench named `temporal`, or `server` on the cluster engine), PostgreSQL (the backends serving the bench's
 * database; one that both starts and ends inside the window is missed), and the machine as a whole.
 */
export interface CpuMeterOptions {
  /** Count each given pid's descendants too (a process tree), not the process alone. */
  trees?: boolean;
  /**
   * Also count every process named `postgres` on the machine (`postgresServer`: the whole server, its
   * other databases' backends and its background processes included; processes that start and end inside
   * the window are missed).
   */
  allPostgres?: boolean;
}

export class CpuMeter {
  private readonly start: CpuSnapshot;

  constructor(
    private readonly pids: Record<string, number | undefined>,
    private readonly database: string,
    private readonly options: CpuMeterOptions = {},
  ) {
    this.start = this.snapshot();
  }

  private snapshot(): CpuSnapshot {
    const seconds: Record<string, number> = {};
    const procs = allProcs();
    const children = new Map<number, ProcStat[]>();
    if (this.options.trees) for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
    const treeCpu = (root: ProcStat): number => {
      let total = root.cpu;
      if (this.options.trees) for (const child of children.get(root.pid) ?? []) total += treeCpu(child);
      return total;
    };
    for (const [name, pid] of Object.entries(this.pids)) {
      const stat = pid === undefined ? undefined : procStat(pid);
      if (stat) seconds[name] = treeCpu(stat);
    }
    const usage = process.cpuUsage();
    seconds.bench = (usage.user + usage.system) / 1e6;
    let temporal = 0;
    const backends = new Map<number, number>();
    const server = new Map<number, number>();
    for (const p of procs) {
      if ((p.comm === 'temporal' || p.comm === 'server') && p.ppid === process.pid) temporal += treeCpu(p);
      if (p.comm === 'postgres') {
        if (this.options.allPostgres) server.set(p.pid, p.cpu);
        if (cmdline(p.pid).includes(` ${this.database} `)) backends.set(p.pid, p.cpu);
      }
    }
    seconds.temporal = temporal;
    return { at: performance.now(), seconds, backends, server, machine: machineBusy() };
  }

  /** Usage since the meter was made. */
  read(): CpuUsage {
    const end = this.snapshot();
    const wall = (end.at - this.start.at) / 1000;
    const byProcess: CpuUsage['byProcess'] = {};
    for (const [name, s] of Object.entries(end.seconds)) {
      const cpu = s - (this.start.seconds[name] ?? s);
      byProcess[name] = { cpuSeconds: round(cpu, 2), cores: round(cpu / wall, 2) };
    }
    let postgres = 0;
    for (const [pid, s] of end.backends) postgres += s - (this.start.backends.get(pid) ?? 0);
    byProcess.postgres = { cpuSeconds: round(postgres, 2), cores: round(postgres / wall, 2) };
    if (this.options.allPostgres) {
      let server = 0;
      for (const [pid, s] of end.server) server += s - (this.start.server.get(pid) ?? 0);
      byProcess.postgresServer = { cpuSeconds: round(server, 2), cores: round(server / wall, 2) };
    }
    const machine = end.machine - this.start.machine;
    // The whole server's processes include the bench database's backends: counted once.
    const ours = Object.entries(byProcess)
      .filter(([name]) => name !== 'postgresServer')
      .reduce((a, [, v]) => a + v.cpuSeconds, 0) + Math.max(0, (byProcess.postgresServer?.cpuSeconds ?? 0) - postgres);
    return {
      wallSeconds: round(wall, 2),
      byProcess,
      machine: { cpuSeconds: round(machine, 2), cores: round(machine / wall, 2), of: os.cpus().length },
      others: { cpuSeconds: round(Math.max(0, machine - ours), 2), cores: round(Math.max(0, machine - ours) / wall, 2) },
    };
  }
}
