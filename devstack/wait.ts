/** Polls a condition until it holds or a deadline passes; the one way tests and scripts wait. */

/** Thrown by a probe to stop waiting at once (e.g. the process being waited for has died). */
export class GiveUpWaiting extends Error {
  override readonly name = 'GiveUpWaiting';
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Named in the timeout error. */
  what?: string;
}

export async function waitFor<T>(
  probe: () => Promise<T | false | undefined | null> | T | false | undefined | null,
  options: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const interval = options.intervalMs ?? 50;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== false && value !== undefined && value !== null) return value;
    } catch (err) {
      lastError = err;
      if (err instanceof GiveUpWaiting) throw err;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`Timed out after ${options.timeoutMs ?? 10_000} ms waiting for ${options.what ?? 'condition'}${cause}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Whether `url` answers with anything but a server error (a readiness probe). */
export async function answers(url: string): Promise<boolean> {
  const { request } = await import('undici');
  try {
    const res = await request(url);
    await res.body.dump();
    return res.statusCode < 500;
  } catch {
    return false;
  }
}
