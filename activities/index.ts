/**
 * All activities, built from injected dependencies. Workflows import the `Activities` type only.
 */
import { type ActivityDeps, BmsTokenShelf } from './context';
import { createAdoptActivities } from './adopt';
import { createNotifyActivities } from './notify';
import { createPullActivities } from './pull';
import { createPushActivities } from './push';
import { createRetentionActivities } from './retention';

export function createActivities(deps: ActivityDeps) {
  // Pushes and pulls of one worker reuse each other's BMS tokens.
  const shared = { ...deps, bmsTokens: deps.bmsTokens ?? new BmsTokenShelf() };
  const notify = createNotifyActivities(shared);
  return {
    ...createPushActivities(shared, notify.pullEvents.budgetExhausted),
    ...createPullActivities(shared, notify.pullEvents),
    ...createAdoptActivities(shared),
    ...notify.activities,
    ...createRetentionActivities(shared),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps };
