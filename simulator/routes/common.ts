/** Shared pieces of the route handlers: the handler shape, typed access to checked input, paging. */
import type { ParamValue } from '../contract';
import { ApiError } from '../errors';
import type { ApiResponse } from '../http';
import type { SimulatorState } from '../state';
import { parseDateTime } from '../time';

export interface HandlerContext {
  sim: SimulatorState;
  /** Path parameters, typed by the contract. */
  params: Readonly<Record<string, ParamValue>>;
  /** Declared query parameters that were present, typed by the contract. */
  query: Readonly<Record<string, ParamValue>>;
  /** The body, with names in their declared spelling. */
  body: unknown;
  /** The authenticated employee (0 on anonymous routes). */
  userId: number;
}

export type Handler = (ctx: HandlerContext) => ApiResponse | Promise<ApiResponse>;

export type RouteTable = Readonly<Record<string, Handler>>;

// ---- query / path values (already type-checked by the contract) ----

export function qStr(q: Readonly<Record<string, ParamValue>>, name: string): string | undefined {
  const v = q[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function qInt(q: Readonly<Record<string, ParamValue>>, name: string): number | undefined {
  const v = q[name];
  return typeof v === 'number' ? v : undefined;
}

export function qBool(q: Readonly<Record<string, ParamValue>>, name: string): boolean | undefined {
  const v = q[name];
  return typeof v === 'boolean' ? v : undefined;
}

export function qInts(q: Readonly<Record<string, ParamValue>>, name: string): number[] | undefined {
  const v = q[name];
  return Array.isArray(v) ? v : undefined;
}

export function pInt(p: Readonly<Record<string, ParamValue>>, name: string): number {
  const v = p[name];
  if (typeof v !== 'number') throw new ApiError(400, `path parameter ${name} is missing`);
  return v;
}

// ---- body values ----

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asRecord(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

export function bStr(b: Record<string, unknown>, name: string): string | null {
  const v = b[name];
  return typeof v === 'string' ? v : null;
}

export function bInt(b: Record<string, unknown>, name: string): number | null {
  const v = b[name];
  return typeof v === 'number' && Number.isInteger(v) ? v : null;
}

export function bNum(b: Record<string, unknown>, name: string): number | null {
  const v = b[name];
  return typeof v === 'number' ? v : null;
}

export function bBool(b: Record<string, unknown>, name: string): boolean | null {
  const v = b[name];
  return typeof v === 'boolean' ? v : null;
}

export function bDate(b: Record<string, unknown>, name: string): number | null {
  const v = b[name];
  return typeof v === 'string' ? (parseDateTime(v) ?? null) : null;
}

export function bArray(b: Record<string, unknown>, name: string): Record<string, unknown>[] {
  const v = b[name];
  return Array.isArray(v) ? v.map(asRecord) : [];
}

// ---- filters and paging ----

/** Text filters match case-insensitively anywhere in the value (the real rule is unknown; this is the loose case). */
export function contains(value: string | null | undefined, needle: string | undefined): boolean {
  if (needle === undefined) return true;
  return (value ?? '').toLowerCase().includes(needle.toLowerCase());
}

export function inRange(ms: number, from: number | undefined, to: number | undefined): boolean {
  return (from === undefined || ms >= from) && (to === undefined || ms <= to);
}

export const DEFAULT_PAGE_SIZE = 50;

/**
 * 1-based pages. A missing `PageSize` means 50; one above the maximum is clamped to it (not refused),
 * so a client asking for 500 quietly gets 100 and must page on.
 */
export function paging(ctx: HandlerContext): { pageSize: number; pageNumber: number } {
  const pageNumber = qInt(ctx.query, 'PageNumber') ?? 1;
  const requested = qInt(ctx.query, 'PageSize') ?? DEFAULT_PAGE_SIZE;
  if (pageNumber < 1) throw new ApiError(400, `PageNumber must be 1 or more, got ${pageNumber}.`, ['PageNumber']);
  if (requested < 1) throw new ApiError(400, `PageSize must be 1 or more, got ${requested}.`, ['PageSize']);
  return { pageNumber, pageSize: Math.min(requested, ctx.sim.maxPageSize) };
}

export function pageOf<T>(items: readonly T[], ctx: HandlerContext): T[] {
  const { pageNumber, pageSize } = paging(ctx);
  const start = (pageNumber - 1) * pageSize;
  return items.slice(start, start + pageSize);
}

/** Cache key for a filtered listing: the route plus every query value except paging. */
export function filterKey(route: string, query: Readonly<Record<string, ParamValue>>): string {
  const parts = Object.keys(query)
    .filter((k) => k !== 'PageSize' && k !== 'PageNumber' && k !== 'Sort' && k !== 'Exclude')
    .sort()
    .map((k) => `${k}=${JSON.stringify(query[k])}`);
  return `${route}?${parts.join('&')}`;
}

/** Rows for ids, skipping any that vanished. */
export function rowsOf<T>(map: ReadonlyMap<number, T>, ids: readonly number[]): T[] {
  const out: T[] = [];
  for (const id of ids) {
    const row = map.get(id);
    if (row !== undefined) out.push(row);
  }
  return out;
}
