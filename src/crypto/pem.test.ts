import { test } from 'node:test';
import assert from 'node:assert/strict';
import { derToPem, pemToDer } from './pem.ts';

const DER = Buffer.from('3003020101', 'hex');

test('derToPem writes 64-column lines that pemToDer reads back', () => {
  const long = Buffer.alloc(100, 7);
  const pem = derToPem('CERTIFICATE', long);
  assert.ok(pem.split('\n').every((line) => line.length <= 64));
  assert.deepEqual(pemToDer(pem, ['CERTIFICATE'], 5000), { ok: true, label: 'CERTIFICATE', der: long });
});

test('pemToDer ignores whitespace and wrapping, and refuses anything but one block with an allowed label', () => {
  const b64 = DER.toString('base64');
  assert.deepEqual(pemToDer(`\r\n -----BEGIN CERTIFICATE-----\r\n${b64}\r\n-----END CERTIFICATE-----\n\n`, ['CERTIFICATE'], 5000), { ok: true, label: 'CERTIFICATE', der: DER });
  assert.deepEqual(pemToDer(`-----BEGIN CERTIFICATE-----${b64}-----END CERTIFICATE-----`, ['CERTIFICATE'], 5000).ok, true);
  const refused: Array<[unknown, string]> = [
    [undefined, 'not-pem'],
    [42, 'not-pem'],
    ['', 'not-pem'],
    [b64, 'not-pem'],
    [`-----BEGIN CERTIFICATE-----\n${b64}\n-----END X509 CRL-----`, 'not-pem'],
    [`-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----`, 'not-pem'],
    [`-----BEGIN CERTIFICATE-----\n${b64}=\n-----END CERTIFICATE-----`, 'not-pem'],
    [`-----BEGIN CERTIFICATE-----\n${b64.slice(1)}\n-----END CERTIFICATE-----`, 'not-pem'],
    [`-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----`, 'not-pem'],
    [`Bag Attributes\n-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----`, 'not-pem'],
    [`-----BEGIN PUBLIC KEY-----\n${b64}\n-----END PUBLIC KEY-----`, 'wrong-label'],
    [`-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----${' '.repeat(200)}`, 'too-long'],
  ];
  for (const [text, problem] of refused) assert.deepEqual(pemToDer(text, ['CERTIFICATE'], 200), { ok: false, problem }, JSON.stringify(text));
});

test('the size bound comes before any matching: a megabyte of near-PEM is refused at once', () => {
  const started = process.hrtime.bigint();
  const r = pemToDer(`-----BEGIN CERTIFICATE-----${' '.repeat(1 << 20)}`, ['CERTIFICATE'], 5000);
  assert.deepEqual(r, { ok: false, problem: 'too-long' });
  assert.ok(process.hrtime.bigint() - started < 50_000_000n);
});
