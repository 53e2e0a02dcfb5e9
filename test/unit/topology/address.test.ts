import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cidrWithin,
  formatIpv4,
  hostAddress,
  parseCidr,
  parseIpv4,
  usableAddresses,
} from '../../../src/topology/address.js';

test('IPv4 parse and format round-trip', () => {
  assert.equal(parseIpv4('198.18.0.1'), 0xc6120001);
  assert.equal(formatIpv4(0xc6120001), '198.18.0.1');
  for (const bad of ['1.2.3', '1.2.3.256', 'a.b.c.d', '1.2.3.4.5', '01.2.3.4x'])
    assert.equal(parseIpv4(bad), null, bad);
});

test('CIDR blocks: host bits must be zero; containment; usable addresses', () => {
  const range = parseCidr('198.18.0.0/15');
  assert.ok(range);
  assert.equal(range.size, 131_072);
  assert.equal(parseCidr('198.18.0.1/15'), null);
  assert.equal(parseCidr('198.18.0.0/33'), null);
  const inner = parseCidr('198.19.255.0/24');
  assert.ok(inner && cidrWithin(inner, range));
  const outer = parseCidr('198.20.0.0/24');
  assert.ok(outer && !cidrWithin(outer, range));
  assert.equal(hostAddress(range, 0), '198.18.0.1');
  assert.equal(hostAddress(range, 255), '198.18.1.0');
  assert.equal(usableAddresses(range), 131_070);
});

test('the smallest block holding addresses (at most /30)', async () => {
  const { coveringCidr } = await import('../../../src/topology/address.js');
  assert.equal(coveringCidr(['198.18.0.1', '198.18.0.4']), '198.18.0.0/29');
  assert.equal(coveringCidr(['10.0.0.5']), '10.0.0.4/30');
  assert.equal(coveringCidr(['10.0.1.1', '10.0.2.1']), '10.0.0.0/22');
  assert.equal(coveringCidr(['10.0.0.1', '192.168.0.1']), '0.0.0.0/0');
});
