import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hmac, hmacVerify, type HmacHash } from './hmac.ts';

// RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
const KEY = Buffer.from('Jefe');
const DATA = Buffer.from('what do ya want for nothing?');
const RFC4231: Record<HmacHash, string> = {
  sha224: 'a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44',
  sha256: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  sha384: 'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649',
  sha512: '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
};

test('HMAC-SHA-224/256/384/512 match RFC 4231 test case 2', () => {
  for (const [hash, mac] of Object.entries(RFC4231) as [HmacHash, string][]) {
    assert.equal(hmac(hash, KEY, DATA).toString('hex'), mac, hash);
    assert.equal(hmacVerify(hash, KEY, DATA, Buffer.from(mac, 'hex')), true, hash);
  }
});

test('hmacVerify refuses a changed MAC, a changed message, a truncated MAC and another hash', () => {
  const mac = Buffer.from(RFC4231.sha256, 'hex');
  const flipped = Buffer.from(mac);
  flipped[5] = (flipped[5] as number) ^ 1;
  assert.equal(hmacVerify('sha256', KEY, DATA, flipped), false);
  assert.equal(hmacVerify('sha256', KEY, Buffer.from('what do ya want for nothing!'), mac), false);
  assert.equal(hmacVerify('sha256', KEY, DATA, mac.subarray(0, 16)), false);
  assert.equal(hmacVerify('sha256', KEY, DATA, Buffer.alloc(0)), false);
  assert.equal(hmacVerify('sha512', KEY, DATA, mac), false);
});
