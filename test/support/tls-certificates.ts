/**
 * Test certificates made with the `openssl` command line, as the README's TLS section makes them:
 * a CA, and server certificates it signs for 127.0.0.1 (subjectAltName IP:127.0.0.1), in a
 * scratch folder that `remove()` deletes.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ServerCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: string;
  readonly key: string;
  /** The serial number as hex digits, upper case (what X509Certificate and getPeerCertificate say). */
  readonly serialNumber: string;
}

function openssl(args: readonly string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
}

export class TestCertificates {
  readonly dir = mkdtempSync(join(tmpdir(), 'coffer-tls-'));
  readonly caFile = join(this.dir, 'ca.pem');
  private n = 0;

  constructor() {
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
      '-subj', '/CN=Coffer test CA', '-keyout', 'ca.key', '-out', 'ca.pem'], this.dir);
  }

  get ca(): string {
    return readFileSync(this.caFile, 'utf8');
  }

  /** A new key and certificate signed by the CA, with a fresh random serial number. */
  server(cn = 'coffer-test-server'): ServerCertificate {
    const name = `server${++this.n}`;
    // Always 7 bytes (14 hex digits, the first non-zero): Node reports a serial as whole bytes, so an
    // odd number of digits (Math.random's hex can be shorter than 12) would come back with a leading 0.
    const serialNumber = `${(0x10 + this.n).toString(16)}${randomBytes(6).toString('hex')}`.toUpperCase();
    writeFileSync(join(this.dir, `${name}.ext`), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${cn}`,
      '-keyout', `${name}.key`, '-out', `${name}.csr`], this.dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', `0x${serialNumber}`,
      '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`], this.dir);
    const certFile = join(this.dir, `${name}.pem`);
    const keyFile = join(this.dir, `${name}.key`);
    return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), serialNumber };
  }

  /** A path in the scratch folder. */
  path(name: string): string {
    return join(this.dir, name);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
