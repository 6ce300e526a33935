/**
 * The outbound destination policy: every address the service calls on a user's behalf passes here, so
 * a connection form cannot turn the service into a way to reach the network it runs in.
 *
 * - A base URL is an origin with an optional path prefix; userinfo, query, fragment, backslashes,
 *   percent-encoding, dot segments and anything but printable ASCII are refused, so what is checked is
 *   exactly what is called.
 * - Its host must be one of Kaseya's published BMS hosts or an entry of the configured allow-list, over
 *   https; plain http only for an entry written with `http://`.
 * - A name is resolved when the connection is made, inside the connection pool, and every address it
 *   resolves to must be public unicast unless an address entry (an IP address or CIDR range) of the
 *   allow-list covers it. The socket connects to the addresses that were checked, never to a second
 *   answer from DNS.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { lookup as dnsLookupAsync } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector } from 'undici';

/** Kaseya BMS V2 API hosts and the V1 (UI) hosts next to them, per region. */
export const KASEYA_BMS_HOSTS = [
  'api.bms.kaseya.com',
  'bms.kaseya.com',
  'api.bmsemea.kaseya.com',
  'bmsemea.kaseya.com',
  'api.bmsapac.kaseya.com',
  'bmsapac.kaseya.com',
  'api.vorexlogin.com',
  'api.vorexlogin.kaseya.com',
  'vorexlogin.com',
  'api.na1bmspreview.kaseya.com',
  'na1bmspreview.kaseya.com',
] as const;

type Address = ipaddr.IPv4 | ipaddr.IPv6;

export interface AllowedDestination {
  /** The entry as written, for messages. */
  entry: string;
  /** A lower-case host name, or `*.` and a domain for its subdomains; undefined for an address entry. */
  host?: string;
  /** An address entry: allowed as a URL host, and as an address an allowed name resolves to. */
  range?: [Address, number];
  /** Only this port; undefined: any. */
  port?: number;
  /** Plain http allowed too (the entry was written with `http://`). */
  allowHttp: boolean;
}

export class DestinationRefusedError extends Error {
  override readonly name = 'DestinationRefusedError';
  readonly code = 'ERR_DESTINATION_REFUSED';
}

export class AllowListError extends Error {
  override readonly name = 'AllowListError';
}

const ENTRY = /^(?:(https?):\/\/)?(\[[0-9a-f:.]+\](?:\/\d{1,3})?|[^/:[\]\s]+(?:\/\d{1,2})?)(?::(\d{1,5}))?\/?$/i;
const HOST_NAME = /^(\*\.)?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;

/**
 * Parses an allow-list: comma-separated entries of the form `[http://|https://]host[:port]`, where host is
 * a name, `*.` + a domain, an IP address (IPv6 in brackets) or a CIDR range.
 */
export function parseAllowList(list: string | undefined): AllowedDestination[] {
  if (!list) return [];
  return list
    .split(',')
    .map((raw) => raw.trim())
    .filter((raw) => raw.length > 0)
    .map((raw) => {
      const match = ENTRY.exec(raw);
      if (!match) throw new AllowListError(`"${raw}" is not a host, address or range with an optional scheme and port`);
      const [, scheme, hostPart, portText] = match as unknown as [string, string | undefined, string, string | undefined];
      const port = portText === undefined ? undefined : Number(portText);
      if (port !== undefined && (port < 1 || port > 65535)) throw new AllowListError(`"${raw}": port ${port} is out of range`);
      const allowHttp = scheme?.toLowerCase() === 'http';
      const bare = hostPart.replace(/^\[/, '').replace(/\](?=\/|$)/, '');
      const [addressText, prefixText] = bare.split('/') as [string, string | undefined];
      if (ipaddr.isValid(addressText)) {
        const address = ipaddr.process(addressText);
        const bits = address.kind() === 'ipv4' ? 32 : 128;
        const prefix = prefixText === undefined ? bits : Number(prefixText);
        if (prefix > bits) throw new AllowListError(`"${raw}": /${prefix} is longer than the address`);
        return { entry: raw, range: [address, prefix] as [Address, number], port, allowHttp };
      }
      const host = hostPart.toLowerCase();
      if (prefixText !== undefined || !HOST_NAME.test(host)) throw new AllowListError(`"${raw}" is not a valid host name`);
      return { entry: raw, host, port, allowHttp };
    });
}

export type BaseUrlCheck = { ok: true; url: string } | { ok: false; reason: string };

/**
 * A base URL's shape: an http(s) origin with an optional path prefix and nothing the URL parser would
 * quietly rewrite. Answers the normalised form (no trailing slash).
 */
export function checkBaseUrlSyntax(raw: string): BaseUrlCheck {
  if (!/^[\x21-\x7e]+$/.test(raw)) return { ok: false, reason: 'must be printable ASCII without spaces' };
  if (!/^https?:\/\//i.test(raw)) return { ok: false, reason: 'must start with http:// or https://' };
  for (const [char, what] of [
    ['@', 'user name or password'],
    ['?', 'query'],
    ['#', 'fragment'],
    ['\\', 'backslash'],
    ['%', 'percent-encoding'],
  ] as const) {
    if (raw.includes(char)) return { ok: false, reason: `must not contain a ${what} ("${char}")` };
  }
  const afterScheme = raw.slice(raw.indexOf('//') + 2);
  const pathStart = afterScheme.indexOf('/');
  const rawPath = pathStart < 0 ? '' : afterScheme.slice(pathStart);
  if (rawPath.split('/').some((segment) => segment === '.' || segment === '..')) {
    return { ok: false, reason: 'must not contain "." or ".." path segments' };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'must be a URL' };
  }
  if (!url.hostname) return { ok: false, reason: 'must name a host' };
  return { ok: true, url: `${url.origin}${url.pathname.replace(/\/+$/, '')}` };
}

function defaultPort(protocol: string): number {
  return protocol === 'http:' ? 80 : 443;
}

function unbracket(hostname: string): string {
  return hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
}

function sameRange(address: Address, range: [Address, number]): boolean {
  return address.kind() === range[0].kind() && address.match(range);
}

const RANGE_NAMES: Record<string, string> = {
  loopback: 'loopback',
  private: 'private',
  uniqueLocal: 'private',
  linkLocal: 'link-local (where cloud metadata services live)',
  unspecified: 'unspecified',
  multicast: 'multicast',
  broadcast: 'broadcast',
  carrierGradeNat: 'shared (carrier-grade NAT)',
};

export class OutboundPolicy {
  private readonly allowed: readonly AllowedDestination[];
  /** The connection pool every outbound request must use: it checks and pins each address it connects to. */
  readonly dispatcher: Agent;

  constructor(extra: readonly AllowedDestination[] = [], options: { connectTimeoutMs?: number } = {}) {
    this.allowed = [...KASEYA_BMS_HOSTS.map((host) => ({ entry: host, host, allowHttp: false })), ...extra];
    const connectChecked = buildConnector({ lookup: this.checkedLookup, timeout: options.connectTimeoutMs ?? 10_000 });
    this.dispatcher = new Agent({
      keepAliveTimeout: 10_000,
      connections: 128,
      pipelining: 1,
      connect: (connectOptions, callback) => {
        try {
          this.checkDestination(connectOptions.protocol, connectOptions.hostname, connectOptions.port);
        } catch (err) {
          callback(err as Error, null);
          return;
        }
        connectChecked(connectOptions, callback);
      },
    });
  }

  /** The normalised base URL when its shape, scheme and host are allowed; a DestinationRefusedError if not. */
  checkBaseUrl(raw: string): string {
    const syntax = checkBaseUrlSyntax(raw);
    if (!syntax.ok) throw new DestinationRefusedError(`The address ${syntax.reason}`);
    const url = new URL(syntax.url);
    this.checkDestination(url.protocol, url.hostname, url.port);
    return syntax.url;
  }

  /**
   * checkBaseUrl, and the host's name resolved now, for a clear refusal before anything is sent. The
   * connection checks again when it is made: this answer is not what the socket relies on.
   */
  async verifyBaseUrl(raw: string): Promise<string> {
    const base = this.checkBaseUrl(raw);
    const hostname = unbracket(new URL(base).hostname);
    if (isIP(hostname)) return base;
    let addresses: LookupAddress[];
    try {
      addresses = await dnsLookupAsync(hostname, { all: true });
    } catch {
      // A name that does not resolve fails the connection test itself, with the network's own reason.
      return base;
    }
    for (const { address } of addresses) this.checkAddress(hostname, address);
    return base;
  }

  /** Refuses a scheme, host or port no entry allows; an IP literal must be covered by an address entry. */
  private checkDestination(protocol: string, hostname: string, portText: string): void {
    const scheme = protocol.replace(/:$/, '').toLowerCase();
    if (scheme !== 'https' && scheme !== 'http') throw new DestinationRefusedError(`The scheme ${scheme} is not allowed`);
    const host = unbracket(hostname).toLowerCase();
    const port = portText ? Number(portText) : defaultPort(`${scheme}:`);
    const literal = ipaddr.isValid(host) ? ipaddr.process(host) : undefined;
    const matching = this.allowed.filter((d) =>
      literal
        ? d.range !== undefined && sameRange(literal, d.range)
        : d.host !== undefined && (d.host === host || (d.host.startsWith('*.') && host.endsWith(d.host.slice(1)))),
    );
    if (matching.length === 0) {
      throw new DestinationRefusedError(
        `${host} is not an allowed destination: the Kaseya BMS hosts are, and any other host must be added to BMS_ALLOWED_HOSTS`,
      );
    }
    const onPort = matching.filter((d) => d.port === undefined || d.port === port);
    if (onPort.length === 0) throw new DestinationRefusedError(`Port ${port} is not allowed for ${host}`);
    if (scheme === 'http' && !onPort.some((d) => d.allowHttp)) {
      throw new DestinationRefusedError(`Plain http is not allowed for ${host}; use https`);
    }
  }

  /** Refuses an address that is not public unicast, unless an address entry covers it. */
  private checkAddress(hostname: string, addressText: string): void {
    const address = ipaddr.process(addressText);
    if (this.allowed.some((d) => d.range !== undefined && sameRange(address, d.range))) return;
    const range = address.range();
    if (range === 'unicast') return;
    const what = RANGE_NAMES[range] ?? `reserved (${range})`;
    throw new DestinationRefusedError(`${hostname} resolves to ${address.toString()}, a ${what} address, which is not allowed`);
  }

  /** DNS lookup for the connection pool: every answer is checked, and the socket uses exactly these. */
  private readonly checkedLookup = (
    hostname: string,
    options: LookupOptions,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) {
        callback(err, []);
        return;
      }
      try {
        if (addresses.length === 0) throw new DestinationRefusedError(`${hostname} resolves to no address`);
        for (const { address } of addresses) this.checkAddress(hostname, address);
      } catch (refused) {
        callback(refused as DestinationRefusedError, []);
        return;
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

const policies = new WeakMap<readonly AllowedDestination[], OutboundPolicy>();

/** One policy (and so one connection pool) per allow-list: per process, in practice. */
export function outboundPolicyFor(allowList: readonly AllowedDestination[]): OutboundPolicy {
  let policy = policies.get(allowList);
  if (!policy) {
    policy = new OutboundPolicy(allowList);
    policies.set(allowList, policy);
  }
  return policy;
}

/** Whether `err`, or anything it wraps, is a refusal by the policy. */
export function findDestinationRefusal(err: unknown): DestinationRefusedError | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const next = queue.shift();
    if (!next || typeof next !== 'object' || seen.has(next)) continue;
    seen.add(next);
    if (next instanceof DestinationRefusedError) return next;
    queue.push((next as { cause?: unknown }).cause);
    if (next instanceof AggregateError) queue.push(...(next.errors as unknown[]));
  }
  return undefined;
}
