import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { readTlsCertificate, TlsFileError } from './tls.ts';
import { TestCertificates } from '../../test/support/tls-certificates.ts';

const certs = new TestCertificates();
after(() => certs.remove());
const a = certs.server('a.test');
const b = certs.server('b.test');

const refused = (files: { certFile: string; keyFile: string }, re: RegExp): void => {
  assert.throws(() => readTlsCertificate(files), (e: Error) => e instanceof TlsFileError && re.test(e.message), String(re));
};

test('a certificate and its key: read, with what a log line says of them', () => {
  const c = readTlsCertificate(a);
  assert.equal(c.cert.toString(), a.cert);
  assert.equal(c.key.toString(), a.key);
  assert.equal(c.subject, 'CN=a.test');
  assert.equal(c.serialNumber, a.serialNumber);
  assert.ok(Date.parse(c.validTo) > Date.now());
});

test('a pair that cannot serve is refused, naming the variable and the file', () => {
  refused({ certFile: certs.path('missing.pem'), keyFile: a.keyFile }, /^COFFER_TLS_CERT \(.*missing\.pem\) cannot be read: ENOENT/);
  refused({ certFile: a.certFile, keyFile: certs.path('missing.key') }, /^COFFER_TLS_KEY \(.*missing\.key\) cannot be read/);
  refused({ certFile: certs.dir, keyFile: a.keyFile }, /^COFFER_TLS_CERT .* cannot be read: EISDIR/);
  const garbage = certs.path('garbage.pem');
  writeFileSync(garbage, 'not a certificate\n');
  refused({ certFile: garbage, keyFile: a.keyFile }, /^COFFER_TLS_CERT .*garbage\.pem\) is not a PEM certificate/);
  refused({ certFile: a.certFile, keyFile: garbage }, /^COFFER_TLS_KEY .*garbage\.pem\) is not an unencrypted PEM private key/);
  // The files swapped: a key where the certificate goes, and the other way round.
  refused({ certFile: a.keyFile, keyFile: a.certFile }, /^COFFER_TLS_CERT .* is not a PEM certificate/);
  const truncated = certs.path('truncated.pem');
  writeFileSync(truncated, a.cert.slice(0, 200));
  refused({ certFile: truncated, keyFile: a.keyFile }, /^COFFER_TLS_CERT .*truncated\.pem\) is not a PEM certificate/);
  // A renewal half done: the new certificate with the old key.
  refused({ certFile: b.certFile, keyFile: a.keyFile }, /^COFFER_TLS_KEY .* is not the key of the certificate in COFFER_TLS_CERT/);
});
