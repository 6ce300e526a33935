/** Mocha root hooks: the shared environment is started lazily by the tests that need it, stopped once at the end. */
import { stopSharedEnv } from '../helpers/env';
import { stopWorkflowTestEnv } from '../workflows/workflow-env';

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(120_000);
    await stopWorkflowTestEnv();
    await stopSharedEnv();
  },
};
