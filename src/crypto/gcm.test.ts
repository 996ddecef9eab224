import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gcmOpen, gcmSealWithIv } from './gcm.ts';
import { AuthenticationError, CryptoError } from './errors.ts';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", Appendix B, Test Case 16 (AES-256, 96-bit IV, with AAD).
const TC16 = {
  key: hex('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308'),
  iv: hex('cafebabefacedbaddecaf888'),
  pt: hex(
    'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72' +
      '1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39',
  ),
  aad: hex('feedfacedeadbeeffeedfacedeadbeefabaddad2'),
  ct: hex(
    '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa' +
      '8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662',
  ),
  tag: hex('76fc6ece0f4e1768cddf8853bb2d551b'),
};

test('AES-256-GCM matches GCM spec test case 16', () => {
  const { ciphertext, tag } = gcmSealWithIv(TC16.key, TC16.iv, TC16.pt, TC16.aad);
  assert.equal(ciphertext.toString('hex'), TC16.ct.toString('hex'));
  assert.equal(tag.toString('hex'), TC16.tag.toString('hex'));
  assert.deepEqual(gcmOpen(TC16.key, TC16.iv, TC16.ct, TC16.tag, TC16.aad), TC16.pt);
});

test('AES-256-GCM matches GCM spec test case 14 (zero key, IV and block, no AAD)', () => {
  const { ciphertext, tag } = gcmSealWithIv(Buffer.alloc(32), Buffer.alloc(12), Buffer.alloc(16), Buffer.alloc(0));
  assert.equal(ciphertext.toString('hex'), 'cea7403d4d606b6e074ec5d3baf39d18');
  assert.equal(tag.toString('hex'), 'd0d1c8a799996bf0265b98b5d48ab919');
});

test('gcmOpen: tampered tag, ciphertext or AAD, and truncated tag are AuthenticationError', () => {
  const flip = (b: Buffer, i: number): Buffer => {
    const c = Buffer.from(b);
    c[i] = (c[i] ?? 0) ^ 1;
    return c;
  };
  assert.throws(() => gcmOpen(TC16.key, TC16.iv, TC16.ct, flip(TC16.tag, 15), TC16.aad), AuthenticationError);
  assert.throws(() => gcmOpen(TC16.key, TC16.iv, flip(TC16.ct, 0), TC16.tag, TC16.aad), AuthenticationError);
  assert.throws(() => gcmOpen(TC16.key, TC16.iv, TC16.ct, TC16.tag, flip(TC16.aad, 3)), AuthenticationError);
  // Node would accept a 4..15-byte tag unless told otherwise: a truncated tag must never verify.
  assert.throws(() => gcmOpen(TC16.key, TC16.iv, TC16.ct, TC16.tag.subarray(0, 12), TC16.aad), AuthenticationError);
});

test('wrong key or IV length is a CryptoError', () => {
  assert.throws(() => gcmSealWithIv(Buffer.alloc(16), TC16.iv, TC16.pt, TC16.aad), CryptoError);
  assert.throws(() => gcmSealWithIv(TC16.key, Buffer.alloc(16), TC16.pt, TC16.aad), CryptoError);
});
