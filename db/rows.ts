/** Reading timestamp columns: pg returns Date objects; the API and domain speak ISO strings. */
export function isoOrNull(value: unknown): string | null {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') return value;
  return null;
}

export function iso(value: unknown): string {
  return isoOrNull(value) ?? '';
}
