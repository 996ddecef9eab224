/**
 * INTERIM stand-ins for the cluster-certificate functions a colleague is writing in
 * cluster-certificates.ts (`buildClusterCsr` and the InitializeCluster checker), so that the
 * control plane can run end to end now. Replace them in serve.ts when that lands, then delete
 * this file. They are real, not stubs: the CSR is a PKCS#10 signed by the callback (inside the
 * token), and the checker verifies signatures, issuance, validity and the key match with
 * node:crypto. What they do not do: the RFC 5280 profile checks of the trust anchor (BasicConstraints
 * presence when it has v3 extensions, key usage), and the CSR's subject is minimal.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { children, readTlv, tlv } from './der.ts';

const SEQ = 0x30;
const SET = 0x31;
/** 1.2.840.113549.1.1.11 sha256WithRSAEncryption, with its NULL parameters. */
const SHA256_RSA = tlv(SEQ, Buffer.from('06092a864886f70d01010b', 'hex'), Buffer.of(0x05, 0x00));
const OID_CN = Buffer.from('0603550403', 'hex');
const OID_O = Buffer.from('060355040a', 'hex');
const OID_OU = Buffer.from('060355040b', 'hex');

const rdn = (oid: Buffer, value: string): Buffer => tlv(SET, tlv(SEQ, oid, tlv(0x0c, Buffer.from(value, 'utf8'))));
const pem = (label: string, der: Buffer): string =>
  `-----BEGIN ${label}-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
const derOf = (text: string): Buffer => Buffer.from(text.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');

/** A PKCS#10 request (PEM) over `spki` (SubjectPublicKeyInfo DER), subject O=Coffer, OU=<hsmId>, CN=<clusterId>. */
export async function buildInterimClusterCsr(spki: Buffer, ids: { clusterId: string; hsmId: string }, sign: (data: Buffer) => Promise<Buffer>): Promise<string> {
  const subject = tlv(SEQ, rdn(OID_O, 'Coffer'), rdn(OID_OU, ids.hsmId), rdn(OID_CN, ids.clusterId));
  const info = tlv(SEQ, Buffer.of(0x02, 0x01, 0x00), subject, spki, Buffer.of(0xa0, 0x00));
  const signature = await sign(info);
  return pem('CERTIFICATE REQUEST', tlv(SEQ, info, SHA256_RSA, tlv(0x03, Buffer.of(0), signature)));
}

/** The SubjectPublicKeyInfo (DER) of a PKCS#10 request in PEM. */
export function csrPublicKey(csrPem: string): Buffer {
  const request = readTlv(derOf(csrPem), 0);
  const info = children(request.value)[0];
  if (info === undefined) throw new Error('malformed CSR');
  const spki = children(info.value)[2];
  if (spki === undefined || spki.tag !== SEQ) throw new Error('malformed CSR');
  // DER lengths are canonical: re-encoding the element gives its bytes.
  return tlv(SEQ, spki.value);
}

const within = (c: X509Certificate, now: Date): boolean => new Date(c.validFrom) <= now && now <= new Date(c.validTo);

/** InitializeCluster's checks (see the module comment for what is left to the real one). */
export function checkInterimClusterCertificates(csrPem: string, signedCertPem: string, trustAnchorPem: string, now: Date):
  { ok: true; lineageId: string } | { ok: false; reason: string } {
  let anchor: X509Certificate;
  let signed: X509Certificate;
  try { anchor = new X509Certificate(trustAnchorPem); } catch { return { ok: false, reason: 'The trust anchor is not a PEM X.509 certificate.' }; }
  try { signed = new X509Certificate(signedCertPem); } catch { return { ok: false, reason: 'The signed certificate is not a PEM X.509 certificate.' }; }
  if (!anchor.checkIssued(anchor) || !anchor.verify(anchor.publicKey)) return { ok: false, reason: 'The trust anchor is not self-signed.' };
  if (!within(anchor, now)) return { ok: false, reason: 'The trust anchor is not within its validity period.' };
  if (!signed.checkIssued(anchor) || !signed.verify(anchor.publicKey)) return { ok: false, reason: 'The signed certificate was not issued by the trust anchor.' };
  if (!within(signed, now)) return { ok: false, reason: 'The signed certificate is not within its validity period.' };
  let csrKey: Buffer;
  try { csrKey = csrPublicKey(csrPem); } catch { return { ok: false, reason: 'The cluster CSR cannot be read.' }; }
  if (!csrKey.equals(signed.publicKey.export({ type: 'spki', format: 'der' }))) {
    return { ok: false, reason: 'The signed certificate is not for the cluster CSR\'s public key.' };
  }
  return { ok: true, lineageId: createHash('sha256').update(signed.raw).digest('hex') };
}
