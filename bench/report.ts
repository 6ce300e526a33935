/** The benchmark figures, each beside its floor and target, as a table and as JSON. */
import type { CpuUsage } from './measure';
import type { NoChangeResult, PullResult, PushLatencyResult, PushThroughputResult } from './phases';

export const TARGETS = {
  pushLatencyP50Ms: 100,
  pushLatencyP99Ms: 300,
  pushThroughputPerSecond: 150,
  pullRecordsPerSecond: 5000,
  pullShareOfFloor: 0.5,
  requestsPerPushedUpdate: 1.1,
  requestsPerPulledRecord: 0.02,
  peakRssMb: 400,
  /** "Flat": the peak during the large pull at most this many times the peak during the small one. */
  flatRssGrowth: 1.25,
  /** "Linear or better": per-record time of the large pull at most this many times the small one's (noise allowance). */
  scalingCostRatio: 1.1,
} as const;

export interface BenchResults {
  pullSmall?: PullResult;
  pullLarge?: PullResult;
  noChange?: NoChangeResult;
  pushLatency?: PushLatencyResult;
  pushThroughput?: PushThroughputResult;
}

export interface Row {
  figure: string;
  value: string;
  floor: string;
  ratio: string;
  target: string;
  /** null: no target (information) or not measured. */
  pass: boolean | null;
}

const n = (x: number | undefined, digits = 0) =>
  x === undefined || !Number.isFinite(x) ? '—' : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const k = (records: number) => (records >= 1000 ? `${n(records / 1000, records % 1000 === 0 ? 0 : 1)}k` : String(records));

/** Figures (numbers, for the JSON file and the smoke test) and rows (text, for the table). */
export function evaluate(r: BenchResults): { figures: Record<string, Record<string, unknown> | null>; rows: Row[] } {
  const rows: Row[] = [];
  const figures: Record<string, Record<string, unknown> | null> = {
    pushLatency: null,
    pushThroughput: null,
    pullRate: null,
    noChangePull: null,
    requestCost: null,
    memory: null,
    scaling: null,
  };

  const l = r.pushLatency;
  if (l) {
    const p50ok = l.latency.p50 <= TARGETS.pushLatencyP50Ms;
    const p99ok = l.latency.p99 <= TARGETS.pushLatencyP99Ms;
    figures.pushLatency = {
      saves: l.saves,
      p50Ms: l.latency.p50,
      p95Ms: l.latency.p95,
      p99Ms: l.latency.p99,
      floorP50Ms: l.floor.latency.p50,
      floorP95Ms: l.floor.latency.p95,
      floorP99Ms: l.floor.latency.p99,
      ratioP50: l.ratioP50,
      ratioP99: l.ratioP99,
      apiResponseP50Ms: l.apiResponse.p50,
      target: `p50 ≤ ${TARGETS.pushLatencyP50Ms} ms, p99 ≤ ${TARGETS.pushLatencyP99Ms} ms`,
      pass: p50ok && p99ok,
    };
    rows.push(
      { figure: `push latency p50 (${l.saves} saves)`, value: `${n(l.latency.p50, 1)} ms`, floor: `${n(l.floor.latency.p50, 1)} ms`, ratio: `${n(l.ratioP50, 1)}×`, target: `≤ ${TARGETS.pushLatencyP50Ms} ms`, pass: p50ok },
      { figure: 'push latency p95', value: `${n(l.latency.p95, 1)} ms`, floor: `${n(l.floor.latency.p95, 1)} ms`, ratio: `${n(l.latency.p95 / l.floor.latency.p95, 1)}×`, target: '—', pass: null },
      { figure: 'push latency p99', value: `${n(l.latency.p99, 1)} ms`, floor: `${n(l.floor.latency.p99, 1)} ms`, ratio: `${n(l.ratioP99, 1)}×`, target: `≤ ${TARGETS.pushLatencyP99Ms} ms`, pass: p99ok },
    );
  }

  const t = r.pushThroughput;
  if (t) {
    const ok = t.recordsPerSecond >= TARGETS.pushThroughputPerSecond;
    figures.pushThroughput = {
      saves: t.saves,
      concurrency: t.concurrency,
      recordsPerSecond: t.recordsPerSecond,
      seconds: t.seconds,
      apiSavesPerSecond: t.apiSavesPerSecond,
      floorRecordsPerSecond: t.floor.recordsPerSecond,
      ratio: t.ratioToFloor,
      temporalFloorRecordsPerSecond: t.temporalFloor?.recordsPerSecond ?? null,
      temporalFloorCpuMsPerPush: t.temporalFloor?.cpuMsPerPush ?? null,
      ratioToTemporalFloor: t.ratioToTemporalFloor ?? null,
      target: `≥ ${TARGETS.pushThroughputPerSecond} records/s`,
      pass: ok,
    };
    rows.push({
      figure: `push throughput (${k(t.saves)} saves, ${t.concurrency} at once)`,
      value: `${n(t.recordsPerSecond, 1)} /s`,
      floor: `${n(t.floor.recordsPerSecond, 0)} /s`,
      ratio: `${n(t.ratioToFloor * 100, 1)}%`,
      target: `≥ ${TARGETS.pushThroughputPerSecond} /s`,
      pass: ok,
    });
    const tf = t.temporalFloor;
    if (tf) {
      // Not a target: the most any push workflow of this shape gets from this Temporal server and SDK here.
      const cpu = ['temporal', 'worker', 'bench'].map((p) => `${p} ${n(tf.cpuMsPerPush[p], 1)}`).join(' + ');
      rows.push({
        figure: '  Temporal alone: the push workflow, no-op activities',
        value: `${n(tf.recordsPerSecond, 1)} /s`,
        floor: '—',
        ratio: `${n((t.ratioToTemporalFloor ?? NaN) * 100, 0)}%`,
        target: `CPU ms per push: ${cpu}`,
        pass: null,
      });
    }
  }

  const big = r.pullLarge;
  const small = r.pullSmall;
  for (const p of [small, big]) {
    if (!p) continue;
    const records = p.seeded.accounts + p.seeded.contacts;
    const isHeadline = p === big;
    const ok = p.recordsPerSecond >= TARGETS.pullRecordsPerSecond && p.ratioToFloor >= TARGETS.pullShareOfFloor;
    if (isHeadline) {
      figures.pullRate = {
        accounts: p.seeded.accounts,
        contacts: p.seeded.contacts,
        locations: p.seeded.locations,
        records,
        seconds: p.seconds,
        recordsPerSecond: p.recordsPerSecond,
        recordsPerSecondWithLocations: p.recordsPerSecondWithLocations,
        floorRecordsPerSecond: p.floor.recordsPerSecond,
        ratio: p.ratioToFloor,
        target: `≥ ${TARGETS.pullRecordsPerSecond} records/s and ≥ ${TARGETS.pullShareOfFloor * 100}% of the floor`,
        pass: ok,
      };
    }
    rows.push({
      figure: `pull rate, ${k(p.seeded.accounts)} accounts + ${k(p.seeded.contacts)} contacts`,
      value: `${n(p.recordsPerSecond)} /s`,
      floor: `${n(p.floor.recordsPerSecond)} /s`,
      ratio: `${n(p.ratioToFloor * 100, 1)}%`,
      target: `≥ ${n(TARGETS.pullRecordsPerSecond)} /s, ≥ ${TARGETS.pullShareOfFloor * 100}%`,
      pass: ok,
    });
    // Where each record's CPU went, beside the floor's (the bench is the client there): what bounds the ratio.
    const perRecord = (u: CpuUsage, names: string[]) =>
      names.map((name) => `${name} ${n(((u.byProcess[name]?.cpuSeconds ?? NaN) * 1e6) / records)}`).join(' + ');
    rows.push({
      figure: '  CPU µs per record (2 CPUs in all)',
      value: perRecord(p.cpu, ['postgres', 'worker', 'simulator']),
      floor: perRecord(p.floor.cpu, ['bench', 'simulator']),
      ratio: '—',
      target: '—',
      pass: null,
    });
  }

  const c = r.noChange;
  if (c) {
    const listOk =
      c.listRequests.accounts <= c.expected.accounts && c.listRequests.contacts <= c.expected.contacts && c.listRequests.assets <= c.expected.assets;
    const writesOk = c.dataWrites === 0;
    const other = Object.values(c.otherRequests).reduce((a, b) => a + b, 0);
    figures.noChangePull = {
      listRequests: c.listRequests,
      expected: c.expected,
      assets: c.assetsAdded,
      otherRequests: c.otherRequests,
      dataWrites: c.dataWrites,
      bookkeepingWrites: c.bookkeepingWrites,
      writes: c.writes,
      seconds: c.seconds,
      target: '≤ 1 list request per type (asset summaries ⌈n/100⌉), 0 writes',
      pass: listOk && writesOk,
    };
    rows.push(
      {
        figure: 'no-change pull: list requests',
        value: `acc ${c.listRequests.accounts}, con ${c.listRequests.contacts}, asset pages ${c.listRequests.assets}`,
        floor: '—',
        ratio: '—',
        target: `≤ 1, ≤ 1, ≤ ${c.expected.assets} (n=${c.assetsAdded})`,
        pass: listOk,
      },
      {
        figure: 'no-change pull: other requests',
        value: String(other),
        floor: '—',
        ratio: '—',
        target: '—',
        pass: null,
      },
      {
        figure: 'no-change pull: row writes (data tables)',
        value: `${c.dataWrites} (+${c.bookkeepingWrites} bookkeeping)`,
        floor: '—',
        ratio: '—',
        target: '0',
        pass: writesOk,
      },
    );
  }

  if (l || t || big) {
    const pushed = [l, t].filter((x): x is PushLatencyResult | PushThroughputResult => x !== undefined);
    const updates = pushed.reduce((a, x) => a + x.saves, 0);
    const perUpdate = updates ? pushed.reduce((a, x) => a + x.requests.nonAuth, 0) / updates : NaN;
    const perRecord = big ? big.requests.perRecord : NaN;
    const pushOk = Number.isFinite(perUpdate) ? perUpdate <= TARGETS.requestsPerPushedUpdate : null;
    const pullOk = Number.isFinite(perRecord) ? perRecord <= TARGETS.requestsPerPulledRecord : null;
    figures.requestCost = {
      perPushedUpdate: Number.isFinite(perUpdate) ? Math.round(perUpdate * 1000) / 1000 : null,
      perPulledRecord: Number.isFinite(perRecord) ? perRecord : null,
      target: `≤ ${TARGETS.requestsPerPushedUpdate} per pushed update; ≤ ${TARGETS.requestsPerPulledRecord} per pulled account/contact`,
      pass: pushOk !== false && pullOk !== false,
    };
    rows.push(
      { figure: 'BMS requests per pushed update', value: n(perUpdate, 3), floor: '1', ratio: '—', target: `≤ ${TARGETS.requestsPerPushedUpdate}`, pass: pushOk },
      { figure: 'BMS requests per pulled record', value: n(perRecord, 4), floor: '0.01', ratio: '—', target: `≤ ${TARGETS.requestsPerPulledRecord}`, pass: pullOk },
    );
  }

  if (big) {
    const peak = (p: PullResult | undefined, proc: string) => p?.memory[proc]?.windowPeakMb ?? NaN;
    const memory: Record<string, unknown> = { target: `≤ ${TARGETS.peakRssMb} MB each, flat (large ≤ ${TARGETS.flatRssGrowth}× small)` };
    let pass = true;
    for (const proc of ['worker', 'api']) {
      const bigPeak = peak(big, proc);
      const smallPeak = peak(small, proc);
      const growth = bigPeak / smallPeak;
      const underCap = bigPeak <= TARGETS.peakRssMb;
      const flat = Number.isFinite(growth) ? growth <= TARGETS.flatRssGrowth : null;
      pass &&= underCap && flat !== false;
      memory[proc] = {
        peakMb: bigPeak,
        smallPullPeakMb: smallPeak,
        growth: Number.isFinite(growth) ? Math.round(growth * 100) / 100 : null,
        hwmMb: big.memory[proc]?.hwmMb,
        firstQuarterMeanMb: big.memory[proc]?.firstQuarterMeanMb,
        lastQuarterMeanMb: big.memory[proc]?.lastQuarterMeanMb,
      };
      rows.push({
        figure: `${proc} peak RSS during the ${k(big.seeded.accounts)} pull`,
        value: `${n(bigPeak)} MB`,
        floor: '—',
        ratio: '—',
        target: `≤ ${TARGETS.peakRssMb} MB`,
        pass: underCap,
      });
      rows.push({
        figure: `${proc} RSS ${small ? k(small.seeded.accounts) : '?'} → ${k(big.seeded.accounts)} pull`,
        value: `${n(smallPeak)} → ${n(bigPeak)} MB`,
        floor: '—',
        ratio: `${n(growth, 2)}×`,
        target: `flat (≤ ${TARGETS.flatRssGrowth}×)`,
        pass: flat,
      });
    }
    memory.pass = pass;
    figures.memory = memory;
  }

  if (big && small) {
    const costRatio = small.recordsPerSecond / big.recordsPerSecond;
    const ok = costRatio <= TARGETS.scalingCostRatio;
    figures.scaling = {
      small: { records: small.seeded.accounts + small.seeded.contacts, recordsPerSecond: small.recordsPerSecond, seconds: small.seconds },
      large: { records: big.seeded.accounts + big.seeded.contacts, recordsPerSecond: big.recordsPerSecond, seconds: big.seconds },
      costPerRecordRatio: Math.round(costRatio * 1000) / 1000,
      target: `per-record time at the large size ≤ ${TARGETS.scalingCostRatio}× the small size's (linear or better)`,
      pass: ok,
    };
    rows.push({
      figure: `scaling: time per record ${k(small.seeded.accounts)} → ${k(big.seeded.accounts)}`,
      value: `${n(1e6 / small.recordsPerSecond, 0)} → ${n(1e6 / big.recordsPerSecond, 0)} µs`,
      floor: '—',
      ratio: `${n(costRatio, 2)}×`,
      target: `linear (≤ ${TARGETS.scalingCostRatio}×)`,
      pass: ok,
    });
  }

  return { figures, rows };
}

/** `labels` renames the header's columns (the capacity run's table has no floor, for one). */
export function formatTable(rows: Row[], labels: Partial<Record<'figure' | 'value' | 'floor' | 'ratio' | 'target', string>> = {}): string {
  const header: Row = { figure: 'figure', value: 'value', floor: 'floor', ratio: 'ratio', target: 'target', ...labels, pass: null };
  const cells = (r: Row) => [r.figure, r.value, r.floor, r.ratio, r.target, r === header ? 'result' : r.pass === null ? '' : r.pass ? 'pass' : 'MISS'];
  const all = [header, ...rows].map(cells);
  const widths = all[0]!.map((_, i) => Math.max(...all.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i]!)).join(' | ');
  return [line(all[0]!), widths.map((w) => '-'.repeat(w)).join('-|-'), ...all.slice(1).map(line)].join('\n');
}
