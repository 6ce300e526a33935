/**
 * The benchmark's smoke variant (`npm run bench -- --smoke`) as a child process, so the bench cannot rot:
 * it must start its own stack, run every phase and write every figure. Values are not asserted (the
 * benchmark is not a timed test); only that each figure was produced.
 */
import assert from 'node:assert/strict';
import { BenchChild } from './run-bench';

const FIGURES = ['pushLatency', 'pushThroughput', 'pullRate', 'noChangePull', 'requestCost', 'memory', 'scaling'] as const;

interface BenchReport {
  mode: string;
  machine: { cpuModel: string; cpuCount: number; memoryGb: number; node: string };
  figures: Record<(typeof FIGURES)[number], Record<string, unknown> | null>;
  table: Array<{ figure: string; value: string; pass: boolean | null }>;
  errors: Array<{ phase: string; error: string }>;
}

describe('bench: smoke variant', function () {
  this.timeout(240_000);
  const bench = new BenchChild();
  after(() => bench.stop());

  it('runs every phase and writes every figure', async () => {
    const report = await bench.run<BenchReport>(['--smoke'], 'the smoke bench');
    const output = bench.output;
    assert.equal(report.mode, 'smoke');
    assert.deepEqual(report.errors, []);
    assert.ok(report.machine.cpuCount > 0 && report.machine.cpuModel && report.machine.node, 'machine info');
    for (const name of FIGURES) {
      const figure = report.figures[name];
      assert.ok(figure, `figure ${name} is missing:\n${output}`);
      assert.equal(typeof figure.pass, 'boolean', `figure ${name} has no verdict`);
    }
    const f = report.figures;
    const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
    for (const [name, value] of [
      ['push latency p50', f.pushLatency?.p50Ms],
      ['push latency p99', f.pushLatency?.p99Ms],
      ['push latency floor p50', f.pushLatency?.floorP50Ms],
      ['push throughput', f.pushThroughput?.recordsPerSecond],
      ['push throughput floor', f.pushThroughput?.floorRecordsPerSecond],
      ['push throughput, Temporal floor', f.pushThroughput?.temporalFloorRecordsPerSecond],
      ['push throughput, Temporal floor CPU', (f.pushThroughput?.temporalFloorCpuMsPerPush as { temporal?: number } | undefined)?.temporal],
      ['pull rate', f.pullRate?.recordsPerSecond],
      ['pull floor', f.pullRate?.floorRecordsPerSecond],
      ['no-change data writes', f.noChangePull?.dataWrites],
      ['requests per pushed update', f.requestCost?.perPushedUpdate],
      ['requests per pulled record', f.requestCost?.perPulledRecord],
      ['worker peak RSS', (f.memory?.worker as { peakMb?: number } | undefined)?.peakMb],
      ['API peak RSS', (f.memory?.api as { peakMb?: number } | undefined)?.peakMb],
      ['scaling cost ratio', f.scaling?.costPerRecordRatio],
    ] as const) {
      assert.ok(finite(value), `${name} is not a number: ${String(value)}`);
    }
    assert.ok(report.table.length >= FIGURES.length, 'the table has a row per figure');
    assert.match(output, /push latency p50/, 'the table is printed');
  });
});
