/**
 * Keeps an activity visibly alive while it waits (on the shared rate budget, on a slow BMS), so Temporal
 * notices a dead worker within the heartbeat timeout instead of the much longer start-to-close timeout.
 */
import { Context } from '@temporalio/activity';

export async function whileHeartbeating<T>(fn: () => Promise<T>, details?: () => unknown, everyMs = 5_000): Promise<T> {
  const context = Context.current();
  const beat = () => context.heartbeat(details?.());
  beat();
  const ticker = setInterval(beat, everyMs);
  try {
    return await fn();
  } finally {
    clearInterval(ticker);
  }
}
