/**
 * The outbound destination policy: base URL shapes, allowed hosts and schemes, and the addresses a
 * connection may reach, checked inside the connection pool (a real socket to a real listener).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { ConfigError, loadConfig } from '../../config';
import {
  AllowListError,
  checkBaseUrlSyntax,
  DestinationRefusedError,
  findDestinationRefusal,
  OutboundPolicy,
  parseAllowList,
} from '../../lib/outbound';

function refused(policy: OutboundPolicy, url: string): string {
  try {
    policy.checkBaseUrl(url);
  } catch (err) {
    assert.ok(err instanceof DestinationRefusedError, `${url}: ${String(err)}`);
    return err.message;
  }
  assert.fail(`${url} was allowed`);
}

describe('outbound destination policy', () => {
  describe('base URL shape', () => {
    for (const [url, reason] of [
      ['https://user:pw@api.bms.kaseya.com', /user name or password/],
      ['https://api.bms.kaseya.com@evil.example', /user name or password/],
      ['https://api.bms.kaseya.com/?x=1', /query/],
      ['https://api.bms.kaseya.com/#top', /fragment/],
      ['https://api.bms.kaseya.com\\evil.example', /backslash/],
      ['https://api.bms.kaseya.com/%2e%2e/admin', /percent-encoding/],
      ['https://api.bms.kaseya.com/a/../b', /path segments/],
      ['https://api.bms.kaseya.com/./b', /path segments/],
      ['https://api.bms.kaseya.com /x', /printable ASCII/],
      ['https://api.bms.kaseya\t.com', /printable ASCII/],
      ['ftp://api.bms.kaseya.com', /http:\/\/ or https:\/\//],
    ] as const) {
      it(`refuses ${JSON.stringify(url)}`, () => {
        const check = checkBaseUrlSyntax(url);
        assert.equal(check.ok, false);
        assert.match((check as { reason: string }).reason, reason);
      });
    }

    it('normalises to origin and path prefix without a trailing slash', () => {
      assert.deepEqual(checkBaseUrlSyntax('HTTPS://API.BMS.Kaseya.com:443/'), { ok: true, url: 'https://api.bms.kaseya.com' });
      assert.deepEqual(checkBaseUrlSyntax('https://api.bms.kaseya.com/tenant/'), { ok: true, url: 'https://api.bms.kaseya.com/tenant' });
    });
  });

  describe('hosts and schemes', () => {
    const kaseyaOnly = new OutboundPolicy();

    it("allows Kaseya's published hosts over https, V2 and V1", () => {
      for (const url of ['https://api.bms.kaseya.com', 'https://bms.kaseya.com', 'https://api.bmsemea.kaseya.com', 'https://bmsapac.kaseya.com']) {
        assert.equal(kaseyaOnly.checkBaseUrl(url), url);
      }
    });

    it('refuses plain http to them, and any other host', () => {
      assert.match(refused(kaseyaOnly, 'http://api.bms.kaseya.com'), /Plain http is not allowed/);
      assert.match(refused(kaseyaOnly, 'https://api.bms.kaseya.com.evil.example'), /not an allowed destination: the Kaseya BMS hosts are, and any other host must be added to BMS_ALLOWED_HOSTS/);
      assert.match(refused(kaseyaOnly, 'https://localhost:4010'), /not an allowed/);
    });

    for (const url of [
      'http://127.0.0.1:4010',
      'http://2130706433',
      'http://10.1.2.3',
      'http://192.168.0.1',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]',
      'http://[fd00:ec2::254]',
      'http://[::ffff:127.0.0.1]',
      'http://[::ffff:a9fe:a9fe]',
      'http://0.0.0.0',
      'http://224.0.0.1',
      'https://8.8.8.8',
    ]) {
      it(`refuses the address ${url} unless an entry names it`, () => {
        assert.match(refused(kaseyaOnly, url), /not an allowed/);
      });
    }

    it('allows exactly what the configured entries say', () => {
      const policy = new OutboundPolicy(parseAllowList('http://127.0.0.1, bms.example.com:8443, *.psa.example, [fd00:ec2::]/32'));
      assert.equal(policy.checkBaseUrl('http://127.0.0.1:4010/'), 'http://127.0.0.1:4010');
      assert.equal(policy.checkBaseUrl('http://[::ffff:127.0.0.1]:4010'), 'http://[::ffff:7f00:1]:4010');
      assert.match(refused(policy, 'http://127.0.0.2'), /not an allowed/);
      assert.equal(policy.checkBaseUrl('https://bms.example.com:8443'), 'https://bms.example.com:8443');
      assert.match(refused(policy, 'https://bms.example.com'), /Port 443 is not allowed/);
      assert.match(refused(policy, 'http://bms.example.com:8443'), /Plain http/);
      assert.equal(policy.checkBaseUrl('https://eu.psa.example'), 'https://eu.psa.example');
      assert.match(refused(policy, 'https://psa.example'), /not an allowed/);
      assert.equal(policy.checkBaseUrl('https://[fd00:ec2::254]'), 'https://[fd00:ec2::254]');
    });

    it('refuses allow-list entries it cannot read, and a configuration that has one', () => {
      for (const entry of ['http://user@host', 'host/path', 'bad host', 'ftp://host', '10.0.0.0/40', 'host:99999']) {
        assert.throws(() => parseAllowList(entry), AllowListError, entry);
      }
      assert.throws(() => loadConfig({ BMS_ALLOWED_HOSTS: 'bms.example.com, http://user@host' }), ConfigError);
      assert.equal(loadConfig({ BMS_ALLOWED_HOSTS: 'bms.example.com, http://127.0.0.1' }).bms.allowedHosts.length, 2);
    });
  });

  describe('addresses, checked when the connection is made', () => {
    let server: Server;
    let port: number;
    let received = 0;

    before(async () => {
      server = createServer((_req, res) => {
        received++;
        res.end('{}');
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      port = (server.address() as AddressInfo).port;
    });
    after(() => server.close());
    beforeEach(() => {
      received = 0;
    });

    it('refuses a name that resolves to a loopback address, and sends nothing', async () => {
      const policy = new OutboundPolicy(parseAllowList('http://localhost'));
      const url = `http://localhost:${port}/v2/security/authenticate`;
      assert.equal(policy.checkBaseUrl(`http://localhost:${port}`), `http://localhost:${port}`, 'the name itself is allowed');
      await assert.rejects(policy.verifyBaseUrl(`http://localhost:${port}`), /localhost resolves to .*loopback address/);
      const err = await request(url, { method: 'POST', body: 'Password=secret', dispatcher: policy.dispatcher }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(findDestinationRefusal(err), `refused by the policy: ${String(err)}`);
      assert.equal(received, 0, 'the listener received nothing');
      await policy.dispatcher.close();
    });

    it('refuses an address literal no entry names, inside the pool too', async () => {
      const policy = new OutboundPolicy(parseAllowList('http://[::1]'));
      const err = await request(`http://127.0.0.1:${port}/`, { dispatcher: policy.dispatcher }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(findDestinationRefusal(err), String(err));
      assert.equal(received, 0);
      await policy.dispatcher.close();
    });

    it('connects to an address an entry names', async () => {
      const policy = new OutboundPolicy(parseAllowList('http://127.0.0.1'));
      const res = await request(`http://127.0.0.1:${port}/`, { dispatcher: policy.dispatcher });
      assert.equal(res.statusCode, 200);
      await res.body.text();
      assert.equal(received, 1);
      await policy.dispatcher.close();
    });
  });
});
