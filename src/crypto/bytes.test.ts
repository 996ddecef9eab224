/**
 * The pooled public randomness (nonces, IVs): every call gets bytes no other call got, a slice
 * handed out never changes afterwards (the pool is replaced, not refilled), and large requests
 * bypass the pool.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { publicRandomBytes } from './bytes.ts';

test('publicRandomBytes: the asked length, never the same bytes twice, stable once handed out', () => {
  const taken: Buffer[] = [];
  const copies: Buffer[] = [];
  // Enough calls to use up several 4 KiB pools.
  for (let i = 0; i < 2000; i++) {
    const b = publicRandomBytes(i % 2 === 0 ? 32 : 12);
    assert.equal(b.length, i % 2 === 0 ? 32 : 12);
    taken.push(b);
    copies.push(Buffer.from(b));
  }
  taken.forEach((b, i) => assert.ok(b.equals(copies[i] as Buffer), `slice ${i} changed after it was handed out`));
  const nonces = new Set(taken.filter((b) => b.length === 32).map((b) => b.toString('hex')));
  assert.equal(nonces.size, 1000, 'no 32-byte value repeats');
  // Two consecutive slices never share bytes of the pool.
  const a = publicRandomBytes(32);
  const b = publicRandomBytes(32);
  assert.ok(a.byteOffset + a.length <= b.byteOffset || a.buffer !== b.buffer);
});

test('publicRandomBytes: more than a pool is drawn directly', () => {
  const big = publicRandomBytes(10_000);
  assert.equal(big.length, 10_000);
  assert.notEqual(big.toString('hex'), publicRandomBytes(10_000).toString('hex'));
});
