/** Accounting shared by the chaos runs (dev server and cluster): API calls retried through faults, full lists, duplicates. */
import type { HttpClient } from './api-client';

/**
 * Retries an API call through the faults of a chaos run (a 5xx or a dropped connection), up to a deadline;
 * `onRetry` is told of each call sent again.
 */
export async function persist<T>(
  what: string,
  call: () => Promise<{ status: number; body: T }>,
  options: { timeoutMs?: number; onRetry?: () => void } = {},
): Promise<{ status: number; body: T }> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0) options.onRetry?.();
    try {
      const res = await call();
      if (res.status < 500) return res;
    } catch {
      // connection trouble while the API's database connections are cut: try again
    }
    if (Date.now() > deadline) throw new Error(`${what}: the API kept failing`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Every record of a collection (optionally of one sync state), page by page, through the faults. */
export async function listAll(api: HttpClient, collection: string, syncState?: string, search?: string): Promise<any[]> {
  const out: any[] = [];
  const filters = `${syncState ? `&syncState=${syncState}` : ''}${search ? `&search=${encodeURIComponent(search)}` : ''}`;
  for (let page = 1; ; page++) {
    const res = await persist(`list ${collection}`, () => api.get(`/api/v1/${collection}?pageSize=200&page=${page}${filters}`));
    out.push(...(res.body as any).data);
    if ((res.body as any).data.length < 200) return out;
  }
}

/** How many of `values` repeat an earlier one. */
export function duplicates(values: string[]): number {
  return values.length - new Set(values).size;
}
