/**
 * HTTPS: the certificate and key files (COFFER_TLS_CERT, COFFER_TLS_KEY), read and checked as a
 * pair at start-up and again on each SIGHUP. A pair that cannot serve (unreadable, not PEM, a key
 * that is not the certificate's) is refused with the variable named: at start-up the server does
 * not start; at a reload the certificate in use stays.
 */
import { readFileSync } from 'node:fs';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { createSecureContext } from 'node:tls';

/** The oldest protocol served (TLS 1.0 and 1.1 are deprecated, RFC 8996). */
export const TLS_MIN_VERSION = 'TLSv1.2';

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** A checked pair, and what a log line says of it. */
export interface TlsCertificate {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly subject: string;
  readonly serialNumber: string;
  readonly validTo: string;
}

/** A certificate or key file that cannot serve; the message names the variable and the file. */
export class TlsFileError extends Error {}

const reason = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function read(path: string, name: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new TlsFileError(`${name} (${path}) cannot be read: ${reason(e)}`);
  }
}

export function readTlsCertificate(files: TlsFiles): TlsCertificate {
  const cert = read(files.certFile, 'COFFER_TLS_CERT');
  const key = read(files.keyFile, 'COFFER_TLS_KEY');
  let x509: X509Certificate;
  try {
    // The first certificate of the file is the server's; any after it are intermediates.
    if (!cert.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no "BEGIN CERTIFICATE" block');
    x509 = new X509Certificate(cert);
  } catch (e) {
    throw new TlsFileError(`COFFER_TLS_CERT (${files.certFile}) is not a PEM certificate: ${reason(e)}`);
  }
  let privateKey: KeyObject;
  try {
    if (!key.includes('PRIVATE KEY-----')) throw new Error('no "PRIVATE KEY" block');
    privateKey = createPrivateKey(key);
  } catch (e) {
    throw new TlsFileError(`COFFER_TLS_KEY (${files.keyFile}) is not an unencrypted PEM private key: ${reason(e)}`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new TlsFileError(`COFFER_TLS_KEY (${files.keyFile}) is not the key of the certificate in COFFER_TLS_CERT (${files.certFile})`);
  }
  try {
    // What the server will use: the same call that setSecureContext and createServer make.
    createSecureContext({ cert, key, minVersion: TLS_MIN_VERSION });
  } catch (e) {
    throw new TlsFileError(`COFFER_TLS_CERT (${files.certFile}) and COFFER_TLS_KEY (${files.keyFile}) cannot serve TLS: ${reason(e)}`);
  }
  return { cert, key, subject: x509.subject.replaceAll('\n', ', '), serialNumber: x509.serialNumber, validTo: x509.validTo };
}
