/**
 * All activities, built from injected dependencies. Workflows import the `Activities` type only.
 */
import type { ActivityDeps } from './context';
import { createPullActivities } from './pull';
import { createPushActivities } from './push';

export function createActivities(deps: ActivityDeps) {
  return { ...createPushActivities(deps), ...createPullActivities(deps) };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps };
