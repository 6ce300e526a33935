/**
 * Ranked match suggestions for the review list: for a held BMS record, the unlinked documentation records
 * of its type that may be the same thing, and the other way round. Each suggestion carries a score
 * (0-100) and the reasons behind it ("same serial number", "name differs only in punctuation"). Names are
 * compared normalised (case, punctuation, spacing, accents, common company suffixes such as Inc, LLC,
 * Ltd, GmbH); serial numbers and MAC addresses as exact matching compares them (`domain/matching.ts`);
 * a contact's organization and a location's address count too. Nothing here links anything: a person
 * decides. Cheap by construction: each side's candidates are bounded (`SUGGESTION_POOL_LIMIT`) and
 * prepared once, so ranking a page is pool × page comparisons of short strings. Pure.
 */
import { macAddresses, normalisedCode } from './matching';
import { text } from './mapping';
import type { RecordFields, RecordType } from './records';

/** Candidates of each side a suggestion is ranked among, per account and record type. */
export const SUGGESTION_POOL_LIMIT = 2_000;
/** Suggestions shown per record. */
export const SUGGESTIONS_PER_RECORD = 3;
/** Below this score a candidate is not suggested. */
export const MIN_SCORE = 40;

/** Company suffixes that do not tell two organizations apart. */
const COMPANY_SUFFIXES = new Set([
  'inc', 'incorporated', 'llc', 'llp', 'lp', 'ltd', 'limited', 'gmbh', 'mbh', 'ag', 'kg', 'co', 'company', 'corp', 'corporation',
  'plc', 'pllc', 'pc', 'sa', 'sas', 'sarl', 'srl', 'spa', 'bv', 'nv', 'oy', 'ab', 'as', 'aps', 'pty', 'pte', 'kk', 'ug',
]);

/** Lower case, accents off, punctuation as spaces, spacing collapsed. */
export function normalisedName(value: unknown): string {
  const s = text(value) ?? '';
  return s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** The normalised name without company suffixes (Inc, LLC, Ltd, GmbH, …) at its end. */
export function coreName(value: unknown): string {
  const words = normalisedName(value).split(' ').filter(Boolean);
  while (words.length > 1 && COMPANY_SUFFIXES.has(words[words.length - 1]!)) words.pop();
  // "Acme Co Ltd" and "Acme" alike; "G m b H" spelled out is joined first.
  return words.join(' ');
}

/** What a person reads as the record's name. */
export function displayName(type: RecordType, fields: Readonly<RecordFields>): string {
  if (type === 'contact') return [text(fields.firstName), text(fields.lastName)].filter(Boolean).join(' ');
  return text(fields.name) ?? '';
}

function bigrams(s: string): Map<string, number> {
  const out = new Map<string, number>();
  const padded = ` ${s} `;
  for (let i = 0; i < padded.length - 1; i++) {
    const g = padded.slice(i, i + 2);
    out.set(g, (out.get(g) ?? 0) + 1);
  }
  return out;
}

/** Dice similarity of two strings' bigrams (0..1). */
export function similarity(a: string, b: string): number {
  if (a === '' || b === '') return 0;
  if (a === b) return 1;
  const x = bigrams(a);
  const y = bigrams(b);
  let common = 0;
  let total = 0;
  for (const n of x.values()) total += n;
  for (const [g, n] of y) {
    total += n;
    common += Math.min(n, x.get(g) ?? 0);
  }
  return (2 * common) / total;
}

/** A record as suggestions compare it, computed once per record. */
export interface Prepared {
  id: string;
  type: RecordType;
  raw: string;
  lower: string;
  normalised: string;
  core: string;
  organizationId: string | null;
  serial: string | null;
  macs: string[];
  address: string | null;
  emails: string[];
}

export function prepare(type: RecordType, id: string, fields: Readonly<RecordFields>): Prepared {
  const name = displayName(type, fields);
  const emails = Array.isArray(fields.emails)
    ? (fields.emails as Array<{ value?: unknown }>).map((e) => (text(e.value) ?? '').trim().toLowerCase()).filter(Boolean)
    : [];
  const addressParts = [fields.address1, fields.city].map((v) => normalisedName(v)).filter(Boolean);
  return {
    id,
    type,
    raw: name.trim(),
    lower: name.trim().toLowerCase(),
    normalised: normalisedName(name),
    core: type === 'organization' ? coreName(name) : normalisedName(name),
    organizationId: text(fields.organizationId) ?? null,
    serial: normalisedCode(fields.serialNumber),
    macs: macAddresses(fields.macAddress),
    address: type === 'location' && addressParts.length > 0 ? addressParts.join(' ') : null,
    emails,
  };
}

/** How alike two names are, with the reason. */
function nameScore(a: Prepared, b: Prepared): { score: number; reason: string | null } {
  if (a.raw === '' || b.raw === '') return { score: 0, reason: null };
  if (a.raw === b.raw) return { score: 100, reason: 'same name' };
  if (a.lower === b.lower) return { score: 95, reason: 'name differs only in case' };
  if (a.normalised === b.normalised) return { score: 90, reason: 'name differs only in punctuation, spacing or case' };
  if (a.core !== '' && a.core === b.core) return { score: 85, reason: 'name differs only in a company suffix (Inc, LLC, Ltd, GmbH, …)' };
  const sim = similarity(a.core, b.core);
  if (sim >= 0.6) return { score: Math.round(sim * 75), reason: `similar name (${Math.round(sim * 100)}% alike)` };
  return { score: 0, reason: null };
}

/** The score (0-100) and reasons that `b` is the same thing as `a`; score 0 when nothing speaks for it. */
export function scorePair(a: Prepared, b: Prepared): { score: number; reasons: string[] } {
  const reasons: string[] = [];
  const name = nameScore(a, b);
  const sameOrg = a.organizationId !== null && a.organizationId === b.organizationId;
  let score = 0;
  switch (a.type) {
    case 'organization':
      score = name.score;
      if (name.reason) reasons.push(name.reason);
      break;
    case 'contact': {
      const sameEmail = a.emails.some((e) => b.emails.includes(e));
      if (name.score === 0 && !sameEmail) return { score: 0, reasons: [] };
      score = Math.round(name.score * 0.7) + (sameOrg ? 30 : 0) + (sameEmail ? 25 : 0);
      if (name.reason) reasons.push(name.reason);
      if (sameEmail) reasons.push('same email address');
      if (sameOrg) reasons.push('same organization');
      break;
    }
    case 'location': {
      const sameAddress = a.address !== null && a.address === b.address;
      if (name.score === 0 && !sameAddress) return { score: 0, reasons: [] };
      score = Math.round(name.score * 0.5) + (sameAddress ? 40 : 0) + (sameOrg ? 15 : 0);
      if (name.reason) reasons.push(name.reason);
      if (sameAddress) reasons.push('same address');
      if (sameOrg) reasons.push('same organization');
      break;
    }
    case 'configuration': {
      const sameSerial = a.serial !== null && a.serial === b.serial;
      const sameMac = a.macs.some((m) => b.macs.includes(m));
      if (sameSerial) reasons.push('same serial number');
      if (sameMac) reasons.push('same MAC address');
      if (name.reason) reasons.push(name.reason);
      if (sameOrg) reasons.push('same organization');
      if (sameSerial || sameMac) score = (sameSerial ? 90 : 85) + (sameSerial && sameMac ? 5 : 0) + (sameOrg ? 5 : 0);
      else if (name.score > 0) score = Math.round(name.score * 0.6) + (sameOrg ? 20 : 0);
      break;
    }
  }
  return { score: Math.min(100, score), reasons };
}

export interface Suggestion {
  id: string;
  score: number;
  reasons: string[];
}

/** The best candidates for `subject`, best first (ties: candidate id), at most `limit`, none below `MIN_SCORE`. */
export function suggest(subject: Prepared, candidates: readonly Prepared[], limit = SUGGESTIONS_PER_RECORD): Suggestion[] {
  const out: Suggestion[] = [];
  for (const candidate of candidates) {
    if (candidate.id === subject.id) continue;
    const { score, reasons } = scorePair(subject, candidate);
    if (score >= MIN_SCORE) out.push({ id: candidate.id, score, reasons });
  }
  out.sort((x, y) => y.score - x.score || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  return out.slice(0, limit);
}
