/**
 * The interim CSR builder and certificate checker, against OpenSSL (which reads the CSR and plays
 * the customer's CA); skipped where `openssl` is not installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInterimClusterCsr, checkInterimClusterCertificates, csrPublicKey } from './interim-cluster-certificates.ts';

const skip = spawnSync('openssl', ['version']).status === 0 ? false : 'openssl is not installed';

test('the CSR is a PKCS#10 signed by the callback, over the given key, naming the cluster', { skip }, async () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const csr = await buildInterimClusterCsr(spki, { clusterId: 'cluster-aaaaaaaaaaa', hsmId: 'hsm-bbbbbbbbbbb' }, async (d) => sign('sha256', d, privateKey));
  assert.deepEqual(csrPublicKey(csr), spki);
  const good = spawnSync('openssl', ['req', '-noout', '-verify', '-subject'], { input: csr, encoding: 'utf8' });
  const out = `${good.stdout}${good.stderr}`;
  assert.match(out, /verify OK/i);
  assert.match(out, /CN\s*=\s*cluster-aaaaaaaaaaa/);
  // A signature by another key does not verify.
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const bad = await buildInterimClusterCsr(spki, { clusterId: 'cluster-aaaaaaaaaaa', hsmId: 'hsm-bbbbbbbbbbb' }, async (d) => sign('sha256', d, other));
  const r = spawnSync('openssl', ['req', '-noout', '-verify'], { input: bad, encoding: 'utf8' });
  assert.match(`${r.stdout}${r.stderr}`, /verify fail/i);
});

test('the checker: a certificate issued by the anchor over the CSR key passes; each wrong part is refused with its reason', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-certs-'));
  try {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const csr = await buildInterimClusterCsr(publicKey.export({ type: 'spki', format: 'der' }), { clusterId: 'cluster-aaaaaaaaaaa', hsmId: 'hsm-bbbbbbbbbbb' }, async (d) => sign('sha256', d, privateKey));
    const f = (n: string) => join(dir, n);
    writeFileSync(f('c.csr'), csr);
    const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '30', '-subj', '/CN=anchor');
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca2.key'), '-out', f('ca2.crt'), '-days', '30', '-subj', '/CN=other');
    ssl('x509', '-req', '-in', f('c.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('c.crt'), '-days', '30');
    const read = (n: string) => readFileSync(f(n), 'utf8');
    const now = new Date();
    const ok = checkInterimClusterCertificates(csr, read('c.crt'), read('ca.crt'), now);
    assert.equal(ok.ok, true);
    assert.match(ok.ok ? ok.lineageId : '', /^[0-9a-f]{64}$/);
    const reason = (r: ReturnType<typeof checkInterimClusterCertificates>) => (r.ok ? 'ok' : r.reason);
    assert.match(reason(checkInterimClusterCertificates(csr, read('c.crt'), read('ca2.crt'), now)), /not issued by the trust anchor/);
    assert.match(reason(checkInterimClusterCertificates(csr, read('ca.crt'), read('ca.crt'), now)), /not for the cluster CSR's public key/);
    assert.match(reason(checkInterimClusterCertificates(csr, read('c.crt'), read('c.crt'), now)), /not self-signed/);
    assert.match(reason(checkInterimClusterCertificates(csr, 'garbage', read('ca.crt'), now)), /not a PEM X.509 certificate/);
    assert.match(reason(checkInterimClusterCertificates(csr, read('c.crt'), read('ca.crt'), new Date(now.getTime() + 90 * 86_400_000))), /validity period/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
