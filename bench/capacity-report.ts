/** The capacity run's figures beside their targets: a table per tenant count, the trend across counts, fairness. */
import type { BigTenantResult, SetupResult, SteadyResult, SteadyTimeline } from './capacity';
import { type Distribution, distribution } from './measure';
import type { Row } from './report';

export const CAPACITY_TARGETS = {
  pushLatencyP99Ms: 300,
  /** Freshness p99 at most the pull interval plus this. */
  freshnessSlackSeconds: 60,
  failedRuns: 0,
  /** No endpoint's steady-state pulls above this share of its hourly budget (the busiest tenant). */
  endpointBudgetShare: 0.25,
  /** "Flat or falling": CPU per tenant-hour at the largest count at most this many times the smallest's (noise allowance). */
  cpuPerTenantHourGrowth: 1.1,
  /** Fairness: the small tenants' freshness p99 and push p99 with the big tenant within this of the run without. */
  fairnessSlack: 0.2,
} as const;

export interface CapacityRun {
  tenants: number;
  setup?: SetupResult;
  steady?: SteadyResult;
}

export interface FairnessRun {
  tenants: number;
  setup?: SetupResult;
  without?: SteadyResult;
  with?: SteadyResult;
  big?: BigTenantResult;
}

/** The samples of `t` inside [from, to] (epoch ms): saves answered, edits whose pull overlapped it, Schedule actions due. */
export function timelineBetween(t: SteadyTimeline, from: number, to: number): { push: Distribution; freshness: Distribution; afterPullStart: Distribution; lateness: Distribution } {
  const fresh = t.freshness.filter(([pollFrom, seenAt]) => pollFrom <= to && seenAt >= from);
  return {
    push: distribution(t.push.filter(([at]) => at >= from && at <= to).map(([, ms]) => ms)),
    freshness: distribution(fresh.map(([, , s]) => s)),
    afterPullStart: distribution(fresh.map(([, , , s]) => s)),
    lateness: distribution(t.lateness.filter(([at]) => at >= from && at <= to).map(([, ms]) => ms)),
  };
}

const n = (x: number | undefined | null, digits = 0) =>
  x === undefined || x === null || !Number.isFinite(x) ? '—' : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const mb = (bytes: number) => `${n(bytes / 1024 ** 2, 2)} MB`;
const row = (figure: string, value: string, detail = '—', per = '—', target = '—', pass: boolean | null = null): Row => ({ figure, value, floor: detail, ratio: per, target, pass });

/** Processes whose CPU is reported per tenant-hour, in table order (postgresServer: the whole shared server). */
const CPU_PROCESSES = ['api', 'worker', 'temporal', 'postgres', 'postgresServer', 'simulator', 'bench'];
const MEMORY_PROCESSES = ['api', 'worker', 'temporal', 'simulator'];

export function failedRuns(s: SteadyResult): number {
  return (s.runs.byStatus.failed ?? 0) + (s.runs.byStatus.skipped ?? 0) + s.lateness.skippedOverlap + s.lateness.missedCatchupWindow;
}

/** The busiest pull route's share of its budget (the busiest tenant's requests per hour ÷ 1,500). */
export function worstPullShare(s: SteadyResult): { route: string; share: number } | undefined {
  const pulls = Object.entries(s.requests.byRoute).filter(([, r]) => r.kind === 'pull');
  if (pulls.length === 0) return undefined;
  const [route, r] = pulls.sort((a, b) => (b[1].shareOfBudget || 0) - (a[1].shareOfBudget || 0))[0]!;
  return { route, share: r.shareOfBudget };
}

/** The busiest tenant's rate: per pull × pulls an hour where known, and over the window. */
function busiest(r: SteadyResult['requests']['byRoute'][string]): string {
  const byPulls = r.maxTenantPerHourByPulls ?? null;
  return byPulls === null ? `${n(r.maxTenantPerHour, 1)}/h over the window` : `${n(byPulls, 1)}/h per pull × pulls an hour (${n(r.maxTenantPerHour, 1)}/h over the window)`;
}

/** Rows and figures of one steady state (`label` names it in the table). */
export function steadyRows(s: SteadyResult, label: string): { rows: Row[]; figures: Record<string, unknown> } {
  const rows: Row[] = [];
  const pushOk = s.push.n > 0 ? s.push.p99 <= CAPACITY_TARGETS.pushLatencyP99Ms && s.push.notApplied === 0 : null;
  const freshTarget = s.freshness.targetSeconds;
  const freshOk = s.freshness.n > 0 ? s.freshness.p99 <= freshTarget && s.freshness.unseen === 0 : null;
  const failed = failedRuns(s);
  const runsOk = failed <= CAPACITY_TARGETS.failedRuns;
  const worst = worstPullShare(s);
  const budgetOk = worst ? worst.share <= CAPACITY_TARGETS.endpointBudgetShare : null;
  const retention = s.storage.retention;
  const retentionOk = retention.available ? (retention.prunes ?? 0) > 0 && (retention.failed ?? 0) === 0 : null;
  rows.push(
    row(`${label}: push latency p50 / p99`, `${n(s.push.p50, 1)} / ${n(s.push.p99, 1)} ms`, `${s.push.n} saves, ${s.push.notApplied} not applied, ${s.push.failed} refused`, '—', `p99 ≤ ${CAPACITY_TARGETS.pushLatencyP99Ms} ms`, pushOk),
    row(
      `${label}: freshness p50 / p99 / max`,
      `${n(s.freshness.p50, 1)} / ${n(s.freshness.p99, 1)} / ${n(s.freshness.max, 1)} s`,
      `${s.freshness.n}/${s.freshness.edits} edits seen, polled every ${n(s.freshness.pollEveryMs / 1000, 1)} s; after the pull's start p50 ${n(s.freshness.afterPullStart.p50, 1)} s, p99 ${n(s.freshness.afterPullStart.p99, 1)} s`,
      `interval ${s.intervalMinutes} min`,
      `p99 ≤ ${freshTarget} s`,
      freshOk,
    ),
    row(`${label}: Schedule lateness p50 / p99 / max`, `${n(s.lateness.p50)} / ${n(s.lateness.p99)} / ${n(s.lateness.max)} ms`, `${s.lateness.n} actions`, '—', '—', null),
    row(`${label}: pull duration p50 / p99`, `${n(s.runs.pullSeconds.p50, 2)} / ${n(s.runs.pullSeconds.p99, 2)} s`, `${s.runs.pullSeconds.n} runs, ${s.runs.stillRunning} running at the end`, '—', '—', null),
    row(
      `${label}: failed or skipped runs`,
      String(failed),
      `runs ${JSON.stringify(s.runs.byStatus)}; Schedule skipped ${s.lateness.skippedOverlap} (overlap), ${s.lateness.missedCatchupWindow} (catch-up window)`,
      '—',
      `${CAPACITY_TARGETS.failedRuns}`,
      runsOk,
    ),
    row(
      `${label}: CPU s per tenant-hour`,
      CPU_PROCESSES.filter((p) => s.cpu.perTenantHour[p] !== undefined)
        .map((p) => `${p} ${n(s.cpu.perTenantHour[p], 2)}`)
        .join(', '),
      `machine ${n(s.cpu.machine.cores, 2)} of ${s.cpu.machine.of} CPUs busy, other work ${n(s.cpu.others.cores, 2)}`,
      'tenant-hour',
      '—',
      null,
    ),
    row(
      `${label}: peak RSS`,
      [...MEMORY_PROCESSES.map((p) => `${p} ${n(s.memory.byProcess[p]?.windowPeakMb)}`), `PostgreSQL (Pss, whole server) ${n(s.memory.postgresPssPeakMb)}`].join(', ') + ' MB',
      'during the window',
      '—',
      '—',
      null,
    ),
    row(
      `${label}: storage growth per tenant-day`,
      `product ${mb(s.storage.productGrowthPerTenantDay.total ?? 0)}, Temporal ${mb(s.storage.temporalGrowthPerTenantDay)}`,
      `product ${mb(sum(s.storage.productTablesStart))} → ${mb(sum(s.storage.productTablesEnd))}; Temporal ${mb(s.storage.temporalStartBytes)} → ${mb(s.storage.temporalEndBytes)}`,
      'tenant-day',
      '—',
      null,
    ),
    row(
      `${label}: retention`,
      retention.available
        ? `${retention.prunes} prunes (${retention.failed} failed), ${n(sum(retention.deleted ?? {}))} rows pruned, prune p50 ${n(retention.durationMs?.p50)} ms`
        : 'not available',
      [
        retention.available ? `period ${retention.period}, every ${retention.pruneEvery}; pruned ${JSON.stringify(retention.deleted)}` : 'the product has no retention_prunes table',
        `kept per tenant at ${Object.entries(s.storage.keptPerTenantBytes)
          .map(([p, bytes]) => `${p}: ${mb(bytes)}`)
          .join(', ')}`,
      ].join('; '),
      '—',
      'storage bounded by retention',
      retentionOk,
    ),
    row(
      `${label}: rows of the dated tables`,
      Object.entries(s.storage.rows ?? {})
        .map(([table, r]) => `${table} ${n(r.start)} → ${n(r.end)}`)
        .join(', '),
      `older than ${retention.period ?? 'the period'} at the end (kept by rule, or newer than the last prune): ${Object.entries(s.storage.rows ?? {})
        .map(([table, r]) => `${table} ${n(r.olderThanPeriodAtEnd)}`)
        .join(', ')}`,
      'window',
      '—',
      null,
    ),
    row(
      `${label}: BMS requests, busiest pull route`,
      worst ? `${n(worst.share * 100, 2)}% of ${s.requests.budgetPerHour}/h` : '—',
      worst ? `${worst.route}: busiest tenant ${busiest(s.requests.byRoute[worst.route]!)}, ${n(s.requests.byRoute[worst.route]?.perTenantHour, 1)}/h mean` : 'no pull requests',
      'tenant-hour',
      `≤ ${CAPACITY_TARGETS.endpointBudgetShare * 100}%`,
      budgetOk,
    ),
  );
  for (const [route, r] of Object.entries(s.requests.byRoute).sort((a, b) => b[1].perTenantHour - a[1].perTenantHour)) {
    rows.push(row(`  ${route} (${r.kind})`, `${n(r.perTenantHour, 1)} /tenant-hour`, `busiest tenant ${busiest(r)}`, `${n(r.shareOfBudget * 100, 2)}%`, '—', null));
  }
  const figures = {
    pushLatency: { p50Ms: s.push.p50, p99Ms: s.push.p99, n: s.push.n, notApplied: s.push.notApplied, refused: s.push.failed, target: `p99 ≤ ${CAPACITY_TARGETS.pushLatencyP99Ms} ms`, pass: pushOk },
    freshness: {
      p50Seconds: s.freshness.p50,
      p99Seconds: s.freshness.p99,
      maxSeconds: s.freshness.max,
      afterPullStartP99Seconds: s.freshness.afterPullStart.p99,
      seen: s.freshness.n,
      edits: s.freshness.edits,
      pollEveryMs: s.freshness.pollEveryMs,
      target: `p99 ≤ ${freshTarget} s`,
      pass: freshOk,
    },
    lateness: { p50Ms: s.lateness.p50, p99Ms: s.lateness.p99, maxMs: s.lateness.max, actions: s.lateness.n },
    pullDuration: { p50Seconds: s.runs.pullSeconds.p50, p99Seconds: s.runs.pullSeconds.p99, runs: s.runs.pullSeconds.n },
    failedRuns: { count: failed, byStatus: s.runs.byStatus, target: '0', pass: runsOk },
    cpuSecondsPerTenantHour: s.cpu.perTenantHour,
    peakRssMb: { ...Object.fromEntries(MEMORY_PROCESSES.map((p) => [p, s.memory.byProcess[p]?.windowPeakMb ?? null])), postgresPss: s.memory.postgresPssPeakMb },
    storagePerTenantDayBytes: { product: s.storage.productGrowthPerTenantDay, temporal: s.storage.temporalGrowthPerTenantDay },
    keptPerTenantBytes: s.storage.keptPerTenantBytes,
    retention: { ...retention, target: 'prunes run, none failed', pass: retentionOk },
    requests: { worstPullRoute: worst ?? null, target: `≤ ${CAPACITY_TARGETS.endpointBudgetShare * 100}% of ${s.requests.budgetPerHour}/h`, pass: budgetOk },
  };
  return { rows, figures };
}

function sum(x: Record<string, number>): number {
  return Object.values(x).reduce((a, b) => a + b, 0);
}

/** Every run's rows, the trend of CPU per tenant-hour across counts, and the fairness comparison. */
export function evaluateCapacity(runs: CapacityRun[], fairness: FairnessRun | undefined): { figures: Record<string, unknown>; rows: Row[] } {
  const rows: Row[] = [];
  const figures: Record<string, unknown> = { byTenants: {} };
  for (const r of runs) {
    const label = `${r.tenants} tenants`;
    if (r.setup) rows.push(row(`${label}: setup (not in steady state)`, `${n(r.setup.seconds, 1)} s`, `first pull p50 ${n(r.setup.firstPullSeconds.p50, 1)} s, p99 ${n(r.setup.firstPullSeconds.p99, 1)} s; ${r.setup.simulator} simulator`));
    if (!r.steady) {
      rows.push(row(`${label}: steady state`, 'did not run'));
      continue;
    }
    const { rows: steady, figures: f } = steadyRows(r.steady, label);
    rows.push(...steady);
    (figures.byTenants as Record<string, unknown>)[r.tenants] = { setup: r.setup, ...f };
  }

  const measured = runs.filter((r): r is CapacityRun & { steady: SteadyResult } => r.steady !== undefined).sort((a, b) => a.tenants - b.tenants);
  if (measured.length >= 2) {
    const first = measured[0]!;
    const last = measured.at(-1)!;
    const trend: Record<string, unknown> = {};
    let pass = true;
    for (const p of ['api', 'worker', 'temporal', 'postgres', 'simulator']) {
      const a = first.steady.cpu.perTenantHour[p];
      const b = last.steady.cpu.perTenantHour[p];
      if (a === undefined || b === undefined) continue;
      const growth = a > 0 ? b / a : b > 0 ? Infinity : 1;
      trend[p] = { [first.tenants]: a, [last.tenants]: b, growth: Number.isFinite(growth) ? Math.round(growth * 100) / 100 : null };
      const ok = growth <= CAPACITY_TARGETS.cpuPerTenantHourGrowth;
      pass &&= ok;
      rows.push(row(`CPU per tenant-hour, ${p}: ${first.tenants} → ${last.tenants} tenants`, `${n(a, 2)} → ${n(b, 2)} s`, '—', `${n(growth, 2)}×`, `flat or falling (≤ ${CAPACITY_TARGETS.cpuPerTenantHourGrowth}×)`, ok));
    }
    figures.cpuTrend = { ...trend, target: `flat or falling (≤ ${CAPACITY_TARGETS.cpuPerTenantHourGrowth}×)`, pass };
  }

  if (fairness) {
    const label = `fairness (${fairness.tenants} small tenants)`;
    if (fairness.setup) rows.push(row(`${label}: setup`, `${n(fairness.setup.seconds, 1)} s`));
    const big = fairness.big;
    if (big) {
      rows.push(
        row(
          `${label}: the big tenant's first pull`,
          big.firstPullSeconds === null ? `not finished (${big.status})` : `${n(big.firstPullSeconds, 1)} s`,
          `seeded ${JSON.stringify(big.seeded)}`,
        ),
      );
    }
    const a = fairness.without;
    const b = fairness.with;
    if (a) rows.push(...steadyRows(a, `${label}, without the big tenant`).rows.slice(0, 2));
    if (b) rows.push(...steadyRows(b, `${label}, with the big tenant`).rows.slice(0, 2));
    if (a && b) {
      const fresh = b.freshness.p99 / a.freshness.p99;
      const push = b.push.p99 / a.push.p99;
      const limit = 1 + CAPACITY_TARGETS.fairnessSlack;
      const freshOk = Number.isFinite(fresh) ? fresh <= limit && b.freshness.unseen === 0 : null;
      const pushOk = Number.isFinite(push) ? push <= limit && b.push.notApplied === 0 : null;
      const afterPull = b.freshness.afterPullStart.p99 / a.freshness.afterPullStart.p99;
      // The big tenant's first pull is where it could starve the others: the samples inside it, judged too.
      const from = big?.connectedAt;
      const to = big ? (big.firstPullEndedAt ?? from! + b.minutes * 60_000) : undefined;
      const during = from !== undefined && to !== undefined && b.timeline ? timelineBetween(b.timeline, from, to) : undefined;
      const freshDuring = during ? during.freshness.p99 / a.freshness.p99 : NaN;
      const pushDuring = during ? during.push.p99 / a.push.p99 : NaN;
      const freshDuringOk = Number.isFinite(freshDuring) ? freshDuring <= limit : null;
      const pushDuringOk = Number.isFinite(pushDuring) ? pushDuring <= limit : null;
      if (during) {
        rows.push(
          row(
            `${label}: during the big tenant's first pull, freshness p99 ÷ without`,
            `${n(during.freshness.p99, 1)} ÷ ${n(a.freshness.p99, 1)} s`,
            `${during.freshness.n} edits whose pull overlapped it; after the pull's start p99 ${n(during.afterPullStart.p99, 1)} s (without ${n(a.freshness.afterPullStart.p99, 1)} s)`,
            `${n(freshDuring, 2)}×`,
            `≤ ${limit}×`,
            freshDuringOk,
          ),
          row(
            `${label}: during the big tenant's first pull, push p99 ÷ without`,
            `${n(during.push.p99, 1)} ÷ ${n(a.push.p99, 1)} ms`,
            `${during.push.n} saves; Schedule lateness p99 ${n(during.lateness.p99)} ms over ${during.lateness.n} actions (without ${n(a.lateness.p99)} ms)`,
            `${n(pushDuring, 2)}×`,
            `≤ ${limit}×`,
            pushDuringOk,
          ),
        );
      }
      rows.push(
        row(`${label}: freshness p99 with ÷ without`, `${n(b.freshness.p99, 1)} ÷ ${n(a.freshness.p99, 1)} s`, '—', `${n(fresh, 2)}×`, `≤ ${limit}×`, freshOk),
        row(
          `${label}:   after the pull's start, p99 with ÷ without`,
          `${n(b.freshness.afterPullStart.p99, 1)} ÷ ${n(a.freshness.afterPullStart.p99, 1)} s`,
          'the wait for the Schedule taken out',
          `${n(afterPull, 2)}×`,
          '—',
          null,
        ),
        row(`${label}: push p99 with ÷ without`, `${n(b.push.p99, 1)} ÷ ${n(a.push.p99, 1)} ms`, '—', `${n(push, 2)}×`, `≤ ${limit}×`, pushOk),
      );
      figures.fairness = {
        tenants: fairness.tenants,
        big,
        freshnessP99Seconds: { without: a.freshness.p99, with: b.freshness.p99, ratio: Number.isFinite(fresh) ? Math.round(fresh * 100) / 100 : null },
        pushP99Ms: { without: a.push.p99, with: b.push.p99, ratio: Number.isFinite(push) ? Math.round(push * 100) / 100 : null },
        duringFirstPull: during
          ? {
              from: new Date(from!).toISOString(),
              to: new Date(to!).toISOString(),
              freshnessP99Seconds: during.freshness.p99,
              freshnessRatio: Number.isFinite(freshDuring) ? Math.round(freshDuring * 100) / 100 : null,
              afterPullStartP99Seconds: during.afterPullStart.p99,
              pushP99Ms: during.push.p99,
              pushRatio: Number.isFinite(pushDuring) ? Math.round(pushDuring * 100) / 100 : null,
              latenessP99Ms: during.lateness.p99,
              samples: { edits: during.freshness.n, saves: during.push.n, actions: during.lateness.n },
            }
          : null,
        target: `with the big tenant ≤ ${limit}× without (freshness p99 and push p99, over the window and during its first pull)`,
        pass: freshOk !== false && pushOk !== false && freshOk !== null && freshDuringOk !== false && pushDuringOk !== false,
      };
    }
  }
  return { figures, rows };
}
