/**
 * JSON Patch (RFC 6902) applied the way ASP.NET's JsonPatchDocument applies it to a flat input DTO:
 * paths name DTO properties (matched case-insensitively), `add` on an existing property replaces it,
 * and `remove` resets it to null. `move` and `copy` are refused (the simulator does not model them).
 */
import { caseInsensitiveIndex } from './casing';
import { ValidationError } from './errors';
import { parseDateTime } from './time';

/** `OperationType` numbers of Microsoft.AspNetCore.JsonPatch, for patches that send only the number. */
const OPERATION_TYPES = ['add', 'remove', 'replace', 'move', 'copy', 'test'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sameValue(current: unknown, expected: unknown, isDate: boolean): boolean {
  if (isDate && typeof current === 'string' && typeof expected === 'string') {
    return parseDateTime(current) === parseDateTime(expected);
  }
  return JSON.stringify(current) === JSON.stringify(expected);
}

/**
 * Applies `ops` to a copy of `doc` (the DTO's current values under its declared names) and returns
 * the copy. Throws ValidationError naming the offending operation.
 */
export function applyJsonPatch(
  doc: Readonly<Record<string, unknown>>,
  ops: unknown,
  dtoName: string,
  dateFields: ReadonlySet<string> = new Set(),
): Record<string, unknown> {
  if (!Array.isArray(ops)) throw new ValidationError('The body must be a JSON Patch array.');
  const out: Record<string, unknown> = { ...doc };
  const names = caseInsensitiveIndex(Object.keys(doc));
  ops.forEach((raw, i) => {
    if (!isRecord(raw)) throw new ValidationError(`Operation ${i} is not an object.`);
    const numbered = typeof raw.OperationType === 'number' ? OPERATION_TYPES[raw.OperationType] : undefined;
    const op = typeof raw.op === 'string' ? raw.op.toLowerCase() : numbered;
    if (op === undefined) throw new ValidationError(`Operation ${i} has no op.`, `${i}/op`);
    const path = typeof raw.path === 'string' ? raw.path : '';
    const segments = path.replace(/^\//, '').split('/');
    const name = segments.length === 1 ? names.get((segments[0] ?? '').toLowerCase()) : undefined;
    if (name === undefined) {
      throw new ValidationError(`Operation ${i}: path '${path}' is not a property of ${dtoName}.`, `${i}/path`);
    }
    switch (op) {
      case 'add':
      case 'replace':
        out[name] = raw.value === undefined ? null : raw.value;
        break;
      case 'remove':
        out[name] = null;
        break;
      case 'test':
        if (!sameValue(out[name], raw.value, dateFields.has(name))) {
          throw new ValidationError(
            `Operation ${i}: the current value ${JSON.stringify(out[name])} at path '${path}' is not equal to the test value ${JSON.stringify(raw.value)}.`,
            `${i}/value`,
          );
        }
        break;
      default:
        throw new ValidationError(`Operation ${i}: op '${op}' is not supported.`, `${i}/op`);
    }
  });
  return out;
}
