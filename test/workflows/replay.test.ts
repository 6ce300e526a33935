/**
 * Replays the recorded histories of `histories/` against the current workflow code: a change that would
 * break runs already in flight when it is deployed (a non-deterministic change) fails here. No server
 * is involved. See docs/workflows.md for what to do when this fails.
 */
import assert from 'node:assert/strict';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { installTestRuntime, testWorkflowBundle } from '../helpers/env';
import { readFixtures, SCENARIOS, summarize, isScenario } from './history-fixtures';

describe('replay of recorded workflow histories', function () {
  this.timeout(60_000);
  const fixtures = readFixtures();
  let workflowBundle: WorkflowBundle;

  before(async () => {
    installTestRuntime();
    workflowBundle = await testWorkflowBundle();
  });

  it('has at least one fixture for every scenario', () => {
    const missing = Object.keys(SCENARIOS).filter((scenario) => !fixtures.some((f) => f.scenario === scenario));
    assert.deepEqual(missing, [], 'record them with `npm run record-histories`');
  });

  for (const fixture of fixtures) {
    describe(fixture.file, () => {
      it('shows what its scenario claims', () => {
        assert.ok(isScenario(fixture.scenario), `${fixture.scenario} is not a known scenario`);
        assert.equal(SCENARIOS[fixture.scenario](summarize(fixture.history)), undefined);
      });

      it('replays with the current workflow code', async () => {
        await Worker.runReplayHistory({ workflowBundle }, fixture.history, fixture.file);
      });
    });
  }
});
