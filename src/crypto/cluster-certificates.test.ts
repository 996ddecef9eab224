import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, createPrivateKey, generateKeyPairSync, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildClusterCsr, checkClusterInitialization, createHardwareCa, issueHsmCertificate, MAX_PEM_CHARS, sameCertificate,
} from './cluster-certificates.ts';
import { CryptoError, InvalidKeyError } from './errors.ts';

// Tests that drive openssl skip when it is missing, except under CI=true (as test/e2e/openssl.ts does).
const opensslPresent = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;
const skip: string | false = !opensslPresent && process.env.CI !== 'true' ? 'install openssl' : false;

/** A scratch folder in which openssl runs; every command must succeed. */
class Openssl {
  readonly dir = mkdtempSync(join(tmpdir(), 'coffer-cluster-certs-'));

  run(...args: string[]): string {
    const r = spawnSync('openssl', args, { cwd: this.dir, encoding: 'utf8' });
    assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout + r.stderr;
  }

  write(name: string, text: string): void {
    writeFileSync(join(this.dir, name), text);
  }

  read(name: string): string {
    return readFileSync(join(this.dir, name), 'utf8');
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The "token": an in-process RSA key whose signer sees only the bytes to be signed. */
function token(): { spki: Buffer; privateKey: KeyObject; signed: Buffer[]; signer: (tbs: Buffer) => Promise<Buffer> } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signed: Buffer[] = [];
  return {
    spki: publicKey.export({ type: 'spki', format: 'der' }),
    privateKey,
    signed,
    signer: async (tbs) => {
      signed.push(Buffer.from(tbs));
      return sign('sha256', tbs, privateKey);
    },
  };
}

const SUBJECT = { clusterId: 'cluster-jxhlf7644ne', hsmId: 'hsm-ab12cd34ef5' };
const DAY = 24 * 3600 * 1000;
const NOW = new Date();
const YEARS = (n: number): Date => new Date(NOW.getTime() + n * 365 * DAY);

const derOf = (pem: string): Buffer => Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');

describe('the cluster CSR', () => {
  test('the token signs the DER CertificationRequestInfo (not a digest) and openssl req -verify accepts the CSR', { skip }, async () => {
    const t = token();
    const csr = await buildClusterCsr(t.spki, SUBJECT, t.signer);
    assert.match(csr, /^-----BEGIN CERTIFICATE REQUEST-----\n[A-Za-z0-9+/=\n]+\n-----END CERTIFICATE REQUEST-----\n$/);
    assert.equal(t.signed.length, 1);
    const tbs = t.signed[0] as Buffer;
    assert.equal(tbs[0], 0x30, 'a DER SEQUENCE');
    assert.ok(tbs.length > 200, 'the whole CertificationRequestInfo, not a 32-byte digest');
    assert.ok(derOf(csr).includes(tbs), 'the CSR carries exactly the bytes the token signed');
    assert.ok(derOf(csr).includes(Buffer.from('06092a864886f70d01010b0500', 'hex')), 'sha256WithRSAEncryption with NULL parameters');

    const o = new Openssl();
    try {
      o.write('c.csr', csr);
      assert.match(o.run('req', '-in', 'c.csr', '-verify', '-noout'), /verify OK/i);
      assert.equal(
        o.run('req', '-in', 'c.csr', '-noout', '-subject', '-nameopt', 'RFC2253').trim(),
        'subject=CN=HSM:hsm-ab12cd34ef5:CLUSTER:cluster-jxhlf7644ne,OU=Coffer HSM cluster cluster-jxhlf7644ne,O=Coffer',
      );
      const text = o.run('req', '-in', 'c.csr', '-noout', '-text');
      assert.match(text, /Signature Algorithm: sha256WithRSAEncryption/);
      assert.match(text, /Public-Key: \(2048 bit\)/);
      // The CSR's key is the token's key.
      o.run('req', '-in', 'c.csr', '-pubkey', '-noout', '-out', 'pub.pem');
      assert.ok(derOf(o.read('pub.pem')).equals(t.spki));
    } finally {
      o.remove();
    }
  });

  test('refuses a key that is not RSA, ids that do not fit a subject, and a signature the key does not verify', async () => {
    const t = token();
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
    await assert.rejects(buildClusterCsr(ec, SUBJECT, t.signer), InvalidKeyError);
    await assert.rejects(buildClusterCsr(Buffer.from('not a key'), SUBJECT, t.signer), InvalidKeyError);
    await assert.rejects(buildClusterCsr(t.spki, { ...SUBJECT, hsmId: 'hsm-1,CN=evil' }, t.signer), CryptoError);
    await assert.rejects(buildClusterCsr(t.spki, { ...SUBJECT, clusterId: '' }, t.signer), CryptoError);
    await buildClusterCsr(t.spki, { clusterId: 'c'.repeat(24), hsmId: 'h'.repeat(24) }, t.signer); // the longest ids fit
    await assert.rejects(buildClusterCsr(t.spki, { ...SUBJECT, clusterId: 'c'.repeat(25) }, t.signer), CryptoError);
    const other = token();
    await assert.rejects(buildClusterCsr(t.spki, SUBJECT, other.signer), /does not verify under the cluster public key/);
    await assert.rejects(buildClusterCsr(t.spki, SUBJECT, async () => Buffer.alloc(256)), /does not verify/);
    // The token's own failure reaches the caller unchanged.
    const tokenDown = new Error('CKR_DEVICE_REMOVED');
    await assert.rejects(buildClusterCsr(t.spki, SUBJECT, async () => { throw tokenDown; }), (e) => e === tokenDown);
  });
});

describe('InitializeCluster checks, against certificates made by openssl', { skip }, () => {
  const o = new Openssl();
  const t = token();
  let csr = '';
  const anchor = (): string => o.read('ca.crt');
  const check = (signedCertPem: string, trustAnchorPem: string, now = new Date()) =>
    checkClusterInitialization({ csrPem: csr, signedCertPem, trustAnchorPem, now });
  const reason = (r: ReturnType<typeof checkClusterInitialization>): string => {
    assert.equal(r.ok, false, 'must be refused');
    return r.ok ? '' : r.reason;
  };

  before(async () => {
    csr = await buildClusterCsr(t.spki, SUBJECT, t.signer);
    o.write('c.csr', csr);
    // Exactly the user guide's commands.
    o.run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '365', '-subj', '/CN=my-ca');
    o.run('x509', '-req', '-in', 'c.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'cluster.crt', '-days', '365');
  });
  after(() => o.remove());

  test('accepts the pair from the user guide\'s openssl commands; the lineage id is the SHA-256 of the SignedCert\'s DER', () => {
    const r = check(o.read('cluster.crt'), anchor());
    assert.deepEqual(r, { ok: true, lineageId: createHash('sha256').update(derOf(o.read('cluster.crt'))).digest('hex') });
    o.run('x509', '-in', 'cluster.crt', '-outform', 'DER', '-out', 'cluster.der');
    const opensslDigest = o.run('dgst', '-sha256', '-r', 'cluster.der').split(' ')[0];
    assert.equal(r.ok && r.lineageId, opensslDigest);
    // PEM re-wrapped with CRLF and surrounding blank lines is the same input.
    const rewrapped = `\r\n${o.read('cluster.crt').replace(/\n/g, '\r\n')}\r\n`;
    assert.deepEqual(check(rewrapped, anchor()), r);
  });

  test('accepts a v1 trust anchor (no extensions, so no BasicConstraints needed)', () => {
    o.run('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'v1.key', '-out', 'v1.csr', '-subj', '/CN=v1-ca');
    o.run('x509', '-req', '-in', 'v1.csr', '-signkey', 'v1.key', '-out', 'v1.crt', '-days', '365');
    assert.match(o.run('x509', '-in', 'v1.crt', '-noout', '-text'), /Version: 1 \(0x0\)/);
    o.run('x509', '-req', '-in', 'c.csr', '-CA', 'v1.crt', '-CAkey', 'v1.key', '-CAcreateserial', '-out', 'by-v1.crt', '-days', '365');
    assert.equal(check(o.read('by-v1.crt'), o.read('v1.crt')).ok, true);
  });

  test('refuses a trust anchor that is not self-signed (an intermediate signed by another CA)', () => {
    o.write('ca-ext.cnf', 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
    o.run('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'int.key', '-out', 'int.csr', '-subj', '/CN=my-intermediate');
    o.run('x509', '-req', '-in', 'int.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'int.crt', '-days', '365', '-extfile', 'ca-ext.cnf');
    o.run('x509', '-req', '-in', 'c.csr', '-CA', 'int.crt', '-CAkey', 'int.key', '-CAcreateserial', '-out', 'by-int.crt', '-days', '365');
    assert.match(o.run('verify', '-CAfile', 'ca.crt', '-untrusted', 'int.crt', 'by-int.crt'), /OK/, 'a valid chain, just not rooted at the anchor given');
    assert.equal(
      reason(check(o.read('by-int.crt'), o.read('int.crt'))),
      'TrustAnchor is not self-signed: its signature does not verify with its own public key',
    );
  });

  test('refuses a SignedCert for another key than the CSR\'s', () => {
    o.run('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-out', 'other.csr', '-subj', '/CN=HSM:other');
    o.run('x509', '-req', '-in', 'other.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'other.crt', '-days', '365');
    assert.equal(
      reason(check(o.read('other.crt'), anchor())),
      'SignedCert does not certify the cluster CSR: its public key differs from the CSR\'s',
    );
  });

  test('refuses a SignedCert signed by another CA than the trust anchor', () => {
    o.run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca2.key', '-out', 'ca2.crt', '-days', '365', '-subj', '/CN=my-ca');
    o.run('x509', '-req', '-in', 'c.csr', '-CA', 'ca2.crt', '-CAkey', 'ca2.key', '-CAcreateserial', '-out', 'by-ca2.crt', '-days', '365');
    assert.equal(check(o.read('by-ca2.crt'), o.read('ca2.crt')).ok, true, 'fine under its own CA');
    assert.equal(
      reason(check(o.read('by-ca2.crt'), anchor())),
      'SignedCert was not signed by TrustAnchor: its signature does not verify with the trust anchor\'s public key',
    );
  });

  test('refuses a SignedCert whose issuer is not the anchor\'s subject, even when the anchor\'s key signed it', () => {
    o.run('req', '-x509', '-key', 'ca.key', '-out', 'renamed.crt', '-days', '365', '-subj', '/CN=another-name');
    o.run('x509', '-req', '-in', 'c.csr', '-CA', 'renamed.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'by-renamed.crt', '-days', '365');
    assert.equal(reason(check(o.read('by-renamed.crt'), anchor())), 'SignedCert\'s issuer is not the subject of TrustAnchor');
  });

  test('refuses an expired or not-yet-valid trust anchor or SignedCert', () => {
    const farFuture = YEARS(50);
    assert.match(reason(check(o.read('cluster.crt'), anchor(), farFuture)), /^TrustAnchor has expired \(valid until \d{4}-\d\d-\d\dT[\d:.]+Z\)$/);
    assert.match(reason(check(o.read('cluster.crt'), anchor(), new Date(Date.now() - DAY))), /^TrustAnchor is not valid yet \(valid from .+Z\)$/);
    // A long-lived anchor and a short-lived SignedCert: only the SignedCert has expired 10 days on.
    o.run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'long.key', '-out', 'long.crt', '-days', '36500', '-subj', '/CN=long-ca');
    o.run('x509', '-req', '-in', 'c.csr', '-CA', 'long.crt', '-CAkey', 'long.key', '-CAcreateserial', '-out', 'short.crt', '-days', '1');
    assert.equal(check(o.read('short.crt'), o.read('long.crt')).ok, true);
    assert.match(reason(check(o.read('short.crt'), o.read('long.crt'), new Date(Date.now() + 10 * DAY))), /^SignedCert has expired \(valid until .+Z\)$/);
  });

  test('refuses a v3 trust anchor without BasicConstraints, or with cA false', () => {
    o.write('nobc.cnf', '[req]\ndistinguished_name=dn\nx509_extensions=ext\nprompt=no\n[dn]\nCN=no-bc\n[ext]\nsubjectKeyIdentifier=hash\n');
    o.run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'nobc.key', '-out', 'nobc.crt', '-days', '365', '-config', 'nobc.cnf');
    const text = o.run('x509', '-in', 'nobc.crt', '-noout', '-text');
    assert.match(text, /Version: 3/);
    assert.match(text, /X509v3 Subject Key Identifier/);
    assert.doesNotMatch(text, /Basic Constraints/);
    o.run('x509', '-req', '-in', 'c.csr', '-CA', 'nobc.crt', '-CAkey', 'nobc.key', '-CAcreateserial', '-out', 'by-nobc.crt', '-days', '365');
    assert.equal(reason(check(o.read('by-nobc.crt'), o.read('nobc.crt'))), 'TrustAnchor has X.509 v3 extensions but no BasicConstraints extension');

    o.write('leaf.cnf', '[req]\ndistinguished_name=dn\nx509_extensions=ext\nprompt=no\n[dn]\nCN=leaf\n[ext]\nbasicConstraints=critical,CA:FALSE\n');
    o.run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.crt', '-days', '365', '-config', 'leaf.cnf');
    o.run('x509', '-req', '-in', 'c.csr', '-CA', 'leaf.crt', '-CAkey', 'leaf.key', '-CAcreateserial', '-out', 'by-leaf.crt', '-days', '365');
    assert.equal(reason(check(o.read('by-leaf.crt'), o.read('leaf.crt'))), 'TrustAnchor is not a CA certificate: its BasicConstraints extension has cA false');
  });

  test('refuses garbage, other PEM types, chains and PEM over 5000 characters, with a reason naming the parameter', () => {
    const good = o.read('cluster.crt');
    const body = good.split('\n').slice(1, -2).join('\n');
    const cases: Array<[string, string]> = [
      ['', 'SignedCert is not a single PEM-encoded X.509 certificate'],
      ['hello', 'SignedCert is not a single PEM-encoded X.509 certificate'],
      [good.replace('-----END CERTIFICATE-----', ''), 'SignedCert is not a single PEM-encoded X.509 certificate'],
      [good.replace(/[A-Za-z]/, '*'), 'SignedCert is not a single PEM-encoded X.509 certificate'],
      [`${good}${anchor()}`, 'SignedCert is not a single PEM-encoded X.509 certificate'],
      [csr, 'SignedCert must be a PEM-encoded X.509 certificate'],
      [`-----BEGIN CERTIFICATE-----\n${Buffer.from('not DER at all').toString('base64')}\n-----END CERTIFICATE-----\n`, 'SignedCert is not a well-formed X.509 certificate'],
      [`-----BEGIN CERTIFICATE-----\n${Buffer.concat([derOf(good), Buffer.of(0)]).toString('base64')}\n-----END CERTIFICATE-----\n`, 'SignedCert is not a well-formed X.509 certificate'],
      [`-----BEGIN CERTIFICATE-----\n${derOf(good).subarray(0, 300).toString('base64')}\n-----END CERTIFICATE-----\n`, 'SignedCert is not a well-formed X.509 certificate'],
      [`-----BEGIN CERTIFICATE-----\n${body}\n${' '.repeat(MAX_PEM_CHARS)}\n-----END CERTIFICATE-----\n`, 'SignedCert is longer than 5000 characters'],
      ['A'.repeat(1_000_000), 'SignedCert is longer than 5000 characters'],
    ];
    for (const [pem, expected] of cases) assert.equal(reason(check(pem, anchor())), expected, JSON.stringify(pem.slice(0, 80)));
    assert.equal(reason(check(good, 'garbage')), 'TrustAnchor is not a single PEM-encoded X.509 certificate');
    assert.equal(reason(check(good, `${anchor()}\n${'\n'.repeat(MAX_PEM_CHARS)}`)), 'TrustAnchor is longer than 5000 characters');
    assert.equal(reason(checkClusterInitialization({ csrPem: 'x', signedCertPem: good, trustAnchorPem: anchor(), now: new Date() })), 'The cluster CSR is not a single PEM-encoded certificate request');
  });

  test('never throws on mutated input: every byte flip or truncation is a refusal (or, harmlessly, an acceptance)', () => {
    const good = derOf(o.read('cluster.crt'));
    const anchorDer = derOf(anchor());
    const pem = (d: Buffer): string => `-----BEGIN CERTIFICATE-----\n${d.toString('base64')}\n-----END CERTIFICATE-----\n`;
    let refused = 0;
    for (let i = 0; i < 400; i++) {
      const which = i % 2 === 0 ? good : anchorDer;
      const m = Buffer.from(which);
      if (i % 5 === 4) {
        const cut = m.subarray(0, (i * 7) % m.length);
        const r = i % 2 === 0 ? check(pem(cut), anchor()) : check(o.read('cluster.crt'), pem(cut));
        assert.equal(r.ok, false);
        refused++;
        continue;
      }
      const at = (i * 7919) % m.length;
      m[at] = (m[at] as number) ^ (1 << (i % 8));
      const r = i % 2 === 0 ? check(pem(m), anchor()) : check(o.read('cluster.crt'), pem(m));
      assert.equal(typeof r.ok, 'boolean');
      if (!r.ok) {
        refused++;
        assert.doesNotMatch(r.reason, /Error|at .*\.ts|\n/);
      }
      assert.equal(typeof sameCertificate(pem(m), pem(which)), 'boolean');
    }
    assert.ok(refused > 350, `${refused} of 400 mutations refused`);
  });
});

describe('the Coffer hardware CA', () => {
  test('a self-signed RSA-2048 CA; its HSM certificates pass openssl verify -CAfile', { skip }, async () => {
    const ca = await createHardwareCa(NOW);
    const caKey = createPrivateKey({ key: ca.privateKeyPkcs8, format: 'der', type: 'pkcs8' });
    assert.equal(caKey.asymmetricKeyType, 'rsa');
    assert.equal(caKey.asymmetricKeyDetails?.modulusLength, 2048);
    const caCert = new X509Certificate(ca.certificatePem);
    assert.equal(caCert.ca, true);
    assert.ok(caCert.verify(caCert.publicKey), 'self-signed');
    assert.equal(caCert.subject, 'O=Coffer\nCN=Coffer Hardware CA');
    assert.ok(caCert.checkPrivateKey(caKey));
    assert.ok(new Date(caCert.validTo).getTime() > YEARS(29).getTime(), 'long validity');

    const hsm = token();
    const hsmPem = await issueHsmCertificate(ca, hsm.spki, 'hsm-ab12cd34ef5', NOW);
    const hsmCert = new X509Certificate(hsmPem);
    assert.equal(hsmCert.ca, false);
    assert.equal(hsmCert.subject, 'O=Coffer\nOU=Coffer HSM\nCN=HSM:hsm-ab12cd34ef5');
    assert.equal(hsmCert.issuer, caCert.subject);
    assert.ok(hsmCert.publicKey.export({ type: 'spki', format: 'der' }).equals(hsm.spki));
    assert.ok(new Date(hsmCert.validTo).getTime() <= new Date(caCert.validTo).getTime());

    const o = new Openssl();
    try {
      o.write('hw-ca.crt', ca.certificatePem);
      o.write('hsm.crt', hsmPem);
      assert.match(o.run('verify', '-CAfile', 'hw-ca.crt', 'hsm.crt'), /hsm\.crt: OK/);
      assert.match(o.run('verify', '-CAfile', 'hw-ca.crt', 'hw-ca.crt'), /OK/);
      const text = o.run('x509', '-in', 'hw-ca.crt', '-noout', '-text');
      assert.match(text, /CA:TRUE, pathlen:0/);
      assert.match(text, /Certificate Sign, CRL Sign/);
      // The hardware CA is also an acceptable trust anchor by InitializeCluster's rules.
      const csr = await buildClusterCsr(hsm.spki, SUBJECT, hsm.signer);
      assert.equal(checkClusterInitialization({ csrPem: csr, signedCertPem: hsmPem, trustAnchorPem: ca.certificatePem, now: NOW }).ok, true);
    } finally {
      o.remove();
    }
  });

  test('an HSM certificate near the CA\'s end is cut at the CA\'s notAfter; a mismatched or expired CA is refused', async () => {
    const ca = await createHardwareCa(NOW);
    const hsm = token();
    const late = YEARS(25);
    const hsmCert = new X509Certificate(await issueHsmCertificate(ca, hsm.spki, 'hsm-late', late));
    assert.equal(hsmCert.validTo, new X509Certificate(ca.certificatePem).validTo);
    await assert.rejects(issueHsmCertificate(ca, hsm.spki, 'hsm-x', YEARS(31)), /the hardware CA certificate has expired/);
    const other = await createHardwareCa(NOW);
    await assert.rejects(
      issueHsmCertificate({ certificatePem: ca.certificatePem, privateKeyPkcs8: other.privateKeyPkcs8 }, hsm.spki, 'hsm-x', NOW),
      /does not match its certificate/,
    );
    await assert.rejects(issueHsmCertificate(ca, Buffer.from('nope'), 'hsm-x', NOW), InvalidKeyError);
    await assert.rejects(issueHsmCertificate(ca, hsm.spki, 'hsm x', NOW), CryptoError);
    await assert.rejects(issueHsmCertificate({ ...ca, certificatePem: 'garbage' }, hsm.spki, 'hsm-x', NOW), CryptoError);
  });
});

describe('sameCertificate', () => {
  test('true for the same certificate however it is wrapped; false for another certificate or garbage', async () => {
    const ca = await createHardwareCa(NOW);
    const other = await createHardwareCa(NOW);
    const pem = ca.certificatePem;
    const b64 = derOf(pem).toString('base64');
    const rewrapped = `\n  -----BEGIN CERTIFICATE-----\r\n${(b64.match(/.{1,76}/g) ?? []).join('\r\n')}\r\n-----END CERTIFICATE-----\r\n\n`;
    const oneLine = `-----BEGIN CERTIFICATE-----${b64}-----END CERTIFICATE-----`;
    assert.equal(sameCertificate(pem, pem), true);
    assert.equal(sameCertificate(pem, rewrapped), true);
    assert.equal(sameCertificate(oneLine, pem), true);
    assert.equal(sameCertificate(pem, other.certificatePem), false);
    for (const junk of ['', 'garbage', pem.replace('CERTIFICATE', 'X509 CRL'), `${pem}${pem}`, pem.slice(0, 200), `${pem}${' '.repeat(MAX_PEM_CHARS)}`]) {
      assert.equal(sameCertificate(pem, junk), false, JSON.stringify(junk.slice(0, 40)));
      assert.equal(sameCertificate(junk, junk), false, 'garbage is not the same as itself');
    }
    const notACert = `-----BEGIN CERTIFICATE-----\n${Buffer.from('0\x03\x02\x01\x00', 'latin1').toString('base64')}\n-----END CERTIFICATE-----\n`;
    assert.equal(sameCertificate(notACert, notACert), false);
  });
});
