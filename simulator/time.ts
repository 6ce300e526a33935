/**
 * Timestamps. The real wire format is unknown, so the simulator emits the pessimistic case: UTC
 * with no zone suffix and millisecond precision, which a client must not read as local time.
 */

/** `YYYY-MM-DDTHH:mm:ss.SSS`, UTC, no zone. */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23);
}

export function formatNullableTimestamp(ms: number | null): string | null {
  return ms === null ? null : formatTimestamp(ms);
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Parses what ASP.NET would bind to a DateTime: a date, optionally a time, fractions up to 100 ns,
 * and an optional zone. No zone means UTC. Returns epoch milliseconds (sub-millisecond digits are
 * truncated), or undefined when the text is not a valid date-time.
 */
export function parseDateTime(text: string): number | undefined {
  const m = DATE_TIME.exec(text.trim());
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  let ms = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC rolls 31 February over into March; a real parser rejects it.
  if (new Date(ms).getUTCDate() !== day) return undefined;
  const zone = m[8];
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offsetMinutes = Number(digits.slice(0, 2)) * 60 + (digits.length > 2 ? Number(digits.slice(2, 4)) : 0);
    ms -= sign * offsetMinutes * 60_000;
  }
  return ms;
}

/**
 * Hands out write timestamps. Every write gets a strictly later millisecond than the one before, even
 * when two writes land in the same millisecond, so `ModifiedOn` always orders writes.
 */
export class WriteClock {
  private last = 0;

  stamp(): number {
    const now = Date.now();
    this.last = now > this.last ? now : this.last + 1;
    return this.last;
  }

  reset(): void {
    this.last = 0;
  }
}
