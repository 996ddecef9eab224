/**
 * Addresses and ranges of IpAddress / NotIpAddress: the longest address text still parses, and a
 * request value longer than any address (an 8 KiB context value) is refused without being split.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrContains, parseCidr, parseIp } from './ip.ts';

test('addresses and ranges', () => {
  const longest = 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255';
  assert.equal(longest.length, 45);
  assert.deepEqual(parseIp(longest), { v6: true, value: (1n << 128n) - 1n });
  assert.equal(parseIp(`0${longest}`), undefined);
  assert.equal(parseIp('::1')?.value, 1n);
  assert.equal(parseIp('256.0.0.1'), undefined);
  const range = parseCidr('10.0.0.0/8');
  assert.ok(range);
  assert.equal(cidrContains(range, parseIp('10.1.2.3') ?? assert.fail()), true);
  assert.equal(cidrContains(range, parseIp('11.0.0.1') ?? assert.fail()), false);
});

test('a long value is no address, whatever it holds', () => {
  assert.equal(parseIp('1:'.repeat(4095)), undefined);
  assert.equal(parseIp('1.'.repeat(4095)), undefined);
});
