/**
 * Name casing the way the real API's serializer does it. BMS is ASP.NET, so response keys are the
 * .NET camelCase form of the PascalCase DTO names: a leading run of capitals is lowered as a block
 * ("DNSServers" -> "dnsServers", "IPAddress" -> "ipAddress"), which a naive first-letter rule gets wrong.
 */

function isUpper(ch: string | undefined): boolean {
  return ch !== undefined && ch >= 'A' && ch <= 'Z';
}

/** Newtonsoft / System.Text.Json camelCase rule. */
export function dotnetCamelCase(name: string): string {
  if (name === '' || !isUpper(name[0])) return name;
  const chars = name.split('');
  for (let i = 0; i < chars.length; i++) {
    if (i === 1 && !isUpper(chars[i])) break;
    const hasNext = i + 1 < chars.length;
    if (i > 0 && hasNext && !isUpper(chars[i + 1])) break;
    chars[i] = (chars[i] ?? '').toLowerCase();
  }
  return chars.join('');
}

/** The first declared name that equals `given` ignoring case, as ASP.NET model binding matches names. */
export function caseInsensitiveIndex(names: Iterable<string>): Map<string, string> {
  const index = new Map<string, string>();
  for (const name of names) {
    const key = name.toLowerCase();
    if (!index.has(key)) index.set(key, name);
  }
  return index;
}
