/**
 * The certificates of a Coffer HSM cluster (design/hsm-tier.md §2.1 CreateHsm and
 * InitializeCluster, §2.3 Certificates).
 *
 * - The cluster CSR is a PKCS#10 request over the cluster identity key, an RSA key that never
 *   leaves the HSM token: this module builds the CertificationRequestInfo and hands its DER to a
 *   signer callback, which the token signs with CKM_SHA256_RSA_PKCS (it hashes itself), so the
 *   signature is sha256WithRSAEncryption. The result is checked against the public key before it
 *   is returned.
 * - The Coffer hardware CA plays the manufacturer and AWS roles, one per installation: a
 *   self-signed RSA-2048 CA that certifies each HSM's identity key.
 * - InitializeCluster's rules on the user's SignedCert and TrustAnchor (the user guide's
 *   initialize-cluster steps): the anchor is self-signed, in its validity period and, if it has
 *   v3 extensions, a CA by BasicConstraints; the SignedCert is issued by the anchor (signature and
 *   name), certifies the CSR's key and is in its validity period. Its SHA-256 is the lineage id.
 *
 * User input (PEM of at most 5000 characters) is decoded and parsed without ever throwing: every
 * refusal is `{ ok: false, reason }`, whose reason is a user-facing sentence with no key material.
 * ASN.1 comes from @peculiar/asn1-x509 / asn1-csr; signatures are made and verified by OpenSSL
 * through node:crypto.
 */
import { createHash, createPrivateKey, createPublicKey, sign as signWith, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier, AttributeTypeAndValue, AttributeValue, AuthorityKeyIdentifier, BasicConstraints, Certificate, Extension,
  Extensions, KeyIdentifier, KeyUsage, KeyUsageFlags, Name, RelativeDistinguishedName, SubjectKeyIdentifier,
  SubjectPublicKeyInfo, TBSCertificate, Time, Validity, Version, id_ce_authorityKeyIdentifier, id_ce_basicConstraints,
  id_ce_keyUsage, id_ce_subjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { Attributes, CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { randomBytes } from './bytes.ts';
import { children, readTlv } from './der.ts';
import { CryptoError, InvalidKeyError } from './errors.ts';
import { generateKeyPair } from './keypair.ts';
import { derToPem, pemToDer } from './pem.ts';

/** InitializeCluster's and CreateCustomKeyStore's bound on each PEM parameter. */
export const MAX_PEM_CHARS = 5000;

/** sha256WithRSAEncryption (RFC 4055 §5); its parameters are NULL. */
const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const OID_COMMON_NAME = '2.5.4.3';
const OID_ORGANIZATION = '2.5.4.10';
const OID_ORGANIZATIONAL_UNIT = '2.5.4.11';

const CA_YEARS = 30;
const HSM_CERT_YEARS = 20;

// ---------------------------------------------------------------------------------------------
// Building

/**
 * Identifiers that go into subjects: Coffer's own ids (AWS's shape is `cluster-` or `hsm-` and 11
 * characters), so a plain alphabet, and at most 24 characters so that the CSR's CN stays within
 * RFC 5280's ub-common-name (64).
 */
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,23}$/;

function checkId(what: string, id: string): void {
  if (!ID.test(id)) throw new CryptoError(`${what} must be 1-24 characters of letters, digits, '.', '_' and '-'`);
}

/** A Name from (type, value) pairs, one attribute per RDN, values as UTF8String (RFC 5280 §4.1.2.6). */
function name(...attributes: Array<[string, string]>): Name {
  return new Name(attributes.map(([type, value]) =>
    new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: value }) })])));
}

const sha256WithRsa = (): AlgorithmIdentifier => new AlgorithmIdentifier({ algorithm: SHA256_WITH_RSA, parameters: null });

const der = (asn: unknown): Buffer => Buffer.from(AsnConvert.serialize(asn));

function rsaPublicKey(spki: Buffer): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch (e) {
    throw new InvalidKeyError('not a DER SubjectPublicKeyInfo', { cause: e });
  }
  if (key.asymmetricKeyType !== 'rsa') throw new InvalidKeyError('not an RSA public key');
  return key;
}

/** The key's SubjectPublicKeyInfo as ASN.1, from node's canonical DER export. */
function spkiOf(key: KeyObject): SubjectPublicKeyInfo {
  return AsnConvert.parse(key.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo);
}

/** Key identifier per RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's bits. */
const keyIdentifier = (spki: SubjectPublicKeyInfo): Buffer => createHash('sha1').update(Buffer.from(spki.subjectPublicKey)).digest();

/** A positive 16-byte serial number with a non-zero first byte. */
function serialNumber(): ArrayBuffer {
  const b = randomBytes(16);
  b[0] = ((b[0] as number) & 0x7f) | 0x40;
  return new Uint8Array(b).buffer;
}

const extension = (extnID: string, critical: boolean, value: unknown): Extension =>
  new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });

const addYears = (date: Date, years: number): Date => {
  const d = new Date(date.getTime());
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d;
};

/** A certificate over `tbs`, signed sha256WithRSAEncryption by `issuerKey`, as PEM. */
function signCertificate(tbs: TBSCertificate, issuerKey: KeyObject): string {
  const tbsDer = der(tbs);
  const signature = signWith('sha256', tbsDer, issuerKey);
  const cert = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: sha256WithRsa(), signatureValue: new Uint8Array(signature).buffer });
  return derToPem('CERTIFICATE', der(cert));
}

/** The subject of a cluster CSR. */
export interface ClusterCsrSubject {
  readonly clusterId: string;
  readonly hsmId: string;
}

/**
 * The cluster CSR: PKCS#10 (RFC 2986) over the cluster identity key `publicKeySpki` (RSA, DER
 * SPKI), as PEM. `sign` receives the DER CertificationRequestInfo (the bytes to be signed, not a
 * digest) and must return their RSASSA-PKCS1-v1_5 signature over SHA-256, which is what a token
 * computes with CKM_SHA256_RSA_PKCS. The signature is verified before the CSR is returned.
 *
 * Subject, in AWS's spirit (theirs is `CN=HSM:<serial>:PARTN:<n>, for FIPS mode` under the
 * manufacturer's O/OU): `O=Coffer, OU=Coffer HSM cluster <clusterId>, CN=HSM:<hsmId>:CLUSTER:<clusterId>`.
 * Throws CryptoError for malformed ids or a signature that does not verify, InvalidKeyError for
 * a key that is not RSA; errors from `sign` propagate unchanged.
 */
export async function buildClusterCsr(
  publicKeySpki: Buffer,
  subject: ClusterCsrSubject,
  sign: (toBeSigned: Buffer) => Promise<Buffer>,
): Promise<string> {
  checkId('clusterId', subject.clusterId);
  checkId('hsmId', subject.hsmId);
  const key = rsaPublicKey(publicKeySpki);
  const info = new CertificationRequestInfo({
    version: 0,
    subject: name(
      [OID_ORGANIZATION, 'Coffer'],
      [OID_ORGANIZATIONAL_UNIT, `Coffer HSM cluster ${subject.clusterId}`],
      [OID_COMMON_NAME, `HSM:${subject.hsmId}:CLUSTER:${subject.clusterId}`],
    ),
    subjectPKInfo: spkiOf(key),
    attributes: new Attributes(),
  });
  const toBeSigned = der(info);
  const signature = await sign(Buffer.from(toBeSigned));
  if (!verify('sha256', toBeSigned, key, signature)) {
    throw new CryptoError('the CSR signature from the token does not verify under the cluster public key');
  }
  const csr = new CertificationRequest({ certificationRequestInfo: info, signatureAlgorithm: sha256WithRsa(), signature: new Uint8Array(signature).buffer });
  const csrDer = der(csr);
  // The request must carry exactly the bytes that were signed (the serialiser is deterministic; this says so).
  const content = readTlv(csrDer, 0).value;
  if (!content.subarray(0, readTlv(content, 0).next).equals(toBeSigned)) {
    throw new CryptoError('the CSR does not embed the signed CertificationRequestInfo');
  }
  return derToPem('CERTIFICATE REQUEST', csrDer);
}

/** The Coffer hardware CA: its certificate, and its private key as PKCS#8 DER for the caller to seal (and zero). */
export interface HardwareCa {
  readonly certificatePem: string;
  readonly privateKeyPkcs8: Buffer;
}

const HARDWARE_CA_SUBJECT = (): Name => name([OID_ORGANIZATION, 'Coffer'], [OID_COMMON_NAME, 'Coffer Hardware CA']);

/**
 * A new Coffer hardware CA, valid from `now` for 30 years: RSA-2048, self-signed
 * (sha256WithRSAEncryption), BasicConstraints cA=true pathLen=0 and KeyUsage keyCertSign|cRLSign
 * (both critical), SubjectKeyIdentifier. The private key is returned for the caller to seal.
 */
export async function createHardwareCa(now: Date): Promise<HardwareCa> {
  const pair = await generateKeyPair({ type: 'rsa', bits: 2048 });
  const privateKey = createPrivateKey({ key: pair.privateKey, format: 'der', type: 'pkcs8' });
  const spki = spkiOf(createPublicKey({ key: pair.publicKey, format: 'der', type: 'spki' }));
  const ski = keyIdentifier(spki);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serialNumber(),
    signature: sha256WithRsa(),
    issuer: HARDWARE_CA_SUBJECT(),
    validity: new Validity({ notBefore: now, notAfter: addYears(now, CA_YEARS) }),
    subject: HARDWARE_CA_SUBJECT(),
    subjectPublicKeyInfo: spki,
    extensions: new Extensions([
      extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: true, pathLenConstraint: 0 })),
      extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)),
      extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(ski)),
    ]),
  });
  return { certificatePem: signCertificate(tbs, privateKey), privateKeyPkcs8: pair.privateKey };
}

/**
 * The HsmCertificate of `hsmId`: its identity public key (DER SPKI, any type node:crypto reads)
 * certified by the hardware CA, valid from `now` for 20 years but never past the CA; a leaf
 * (BasicConstraints cA=false, KeyUsage digitalSignature), subject `O=Coffer, OU=Coffer HSM,
 * CN=HSM:<hsmId>`, with subject and authority key identifiers. Throws CryptoError when the CA's
 * certificate does not parse, does not match its key, or is not valid at `now`.
 */
export async function issueHsmCertificate(ca: HardwareCa, hsmPublicKeySpki: Buffer, hsmId: string, now: Date): Promise<string> {
  checkId('hsmId', hsmId);
  const parsed = parseCertificate(ca.certificatePem, 'the hardware CA certificate');
  if (!parsed.ok) throw new CryptoError(parsed.reason);
  const caCert = parsed.cert;
  let caKey: KeyObject;
  try {
    caKey = createPrivateKey({ key: ca.privateKeyPkcs8, format: 'der', type: 'pkcs8' });
  } catch (e) {
    throw new InvalidKeyError('the hardware CA private key is not PKCS#8', { cause: e });
  }
  const caSpki = caCert.asn.tbsCertificate.subjectPublicKeyInfo;
  if (!spkiDer(createPublicKey(caKey)).equals(spkiDer(caCert.publicKey))) {
    throw new CryptoError('the hardware CA private key does not match its certificate');
  }
  const validity = validityProblem(caCert, now, 'the hardware CA certificate');
  if (validity) throw new CryptoError(validity);
  let hsmKey: KeyObject;
  try {
    hsmKey = createPublicKey({ key: hsmPublicKeySpki, format: 'der', type: 'spki' });
  } catch (e) {
    throw new InvalidKeyError('the HSM public key is not a DER SubjectPublicKeyInfo', { cause: e });
  }
  const spki = spkiOf(hsmKey);
  const caNotAfter = caCert.asn.tbsCertificate.validity.notAfter.getTime();
  const wanted = addYears(now, HSM_CERT_YEARS);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serialNumber(),
    signature: sha256WithRsa(),
    issuer: caCert.asn.tbsCertificate.subject,
    validity: new Validity({ notBefore: now, notAfter: wanted < caNotAfter ? wanted : caNotAfter }),
    subject: name([OID_ORGANIZATION, 'Coffer'], [OID_ORGANIZATIONAL_UNIT, 'Coffer HSM'], [OID_COMMON_NAME, `HSM:${hsmId}`]),
    subjectPublicKeyInfo: spki,
    extensions: new Extensions([
      extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: false })),
      extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature)),
      extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyIdentifier(spki))),
      extension(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyIdentifier(caSpki)) })),
    ]),
  });
  return signCertificate(tbs, caKey);
}

// ---------------------------------------------------------------------------------------------
// Checking

interface ParsedCertificate {
  readonly der: Buffer;
  readonly x509: X509Certificate;
  readonly asn: Certificate;
  /** The subject public key (node's getter throws on a key it cannot read, so it is read once, here). */
  readonly publicKey: KeyObject;
  /** Content octets of the issuer and subject Names, as encoded in the certificate. */
  readonly issuer: Buffer;
  readonly subject: Buffer;
}

type Parsed<T> = { ok: true; cert: T } | { ok: false; reason: string };

const pemProblem = (what: string, problem: 'too-long' | 'not-pem' | 'wrong-label', label: string): string =>
  problem === 'too-long'
    ? `${what} is longer than ${MAX_PEM_CHARS} characters`
    : problem === 'wrong-label'
      ? `${what} must be a PEM-encoded ${label}`
      : `${what} is not a single PEM-encoded ${label}`;

/** The whole of `buf` is one DER element: no trailing bytes after the outer SEQUENCE. */
function oneSequence(buf: Buffer): Buffer | undefined {
  try {
    const outer = readTlv(buf, 0);
    return outer.tag === 0x30 && outer.next === buf.length ? outer.value : undefined;
  } catch {
    return undefined;
  }
}

/** Issuer and subject content octets, straight from the TBSCertificate's encoding. */
function rawNames(certContent: Buffer): { issuer: Buffer; subject: Buffer } | undefined {
  try {
    const [tbs] = children(certContent);
    if (tbs?.tag !== 0x30) return undefined;
    const fields = children(tbs.value);
    const at = fields[0]?.tag === 0xa0 ? 1 : 0;
    const issuer = fields[at + 2];
    const subject = fields[at + 4];
    return issuer?.tag === 0x30 && subject?.tag === 0x30 ? { issuer: issuer.value, subject: subject.value } : undefined;
  } catch {
    return undefined;
  }
}

/** A certificate from user PEM: bounded, parsed twice (OpenSSL through node:crypto, and the ASN.1 schema), never throwing. */
function parseCertificate(pem: unknown, what: string): Parsed<ParsedCertificate> {
  const decoded = pemToDer(pem, ['CERTIFICATE'], MAX_PEM_CHARS);
  if (!decoded.ok) return { ok: false, reason: pemProblem(what, decoded.problem, 'X.509 certificate') };
  const malformed = { ok: false, reason: `${what} is not a well-formed X.509 certificate` } as const;
  const content = oneSequence(decoded.der);
  const names = content && rawNames(content);
  if (!names) return malformed;
  try {
    const x509 = new X509Certificate(decoded.der);
    const asn = AsnConvert.parse(decoded.der, Certificate);
    asn.tbsCertificate.validity.notBefore.getTime();
    asn.tbsCertificate.validity.notAfter.getTime();
    let publicKey: KeyObject;
    try {
      publicKey = x509.publicKey;
    } catch {
      return { ok: false, reason: `${what} has a public key that cannot be read` };
    }
    return { ok: true, cert: { der: decoded.der, x509, asn, publicKey, ...names } };
  } catch {
    return malformed;
  }
}

function parseCsr(pem: unknown): Parsed<{ publicKey: KeyObject }> {
  const what = 'The cluster CSR';
  const decoded = pemToDer(pem, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'], MAX_PEM_CHARS);
  if (!decoded.ok) return { ok: false, reason: pemProblem(what, decoded.problem, 'certificate request') };
  const malformed = { ok: false, reason: `${what} is not a well-formed PKCS#10 certificate request` } as const;
  if (!oneSequence(decoded.der)) return malformed;
  try {
    const csr = AsnConvert.parse(decoded.der, CertificationRequest);
    const spki = der(csr.certificationRequestInfo.subjectPKInfo);
    return { ok: true, cert: { publicKey: createPublicKey({ key: spki, format: 'der', type: 'spki' }) } };
  } catch {
    return malformed;
  }
}

const spkiDer = (key: KeyObject): Buffer => key.export({ type: 'spki', format: 'der' });

/** Whether `cert`'s signature verifies under `key` (false, not a throw, for an unsupported algorithm). */
function signedBy(cert: ParsedCertificate, key: KeyObject): boolean {
  try {
    return cert.x509.verify(key);
  } catch {
    return false;
  }
}

/** OpenSSL's X509_check_issued: names equal under canonical comparison, and key identifiers and key usage consistent. */
function issuedBy(cert: ParsedCertificate, issuer: ParsedCertificate): boolean {
  try {
    return cert.x509.checkIssued(issuer.x509);
  } catch {
    return false;
  }
}

/** Why `now` is outside `cert`'s validity period, or undefined when it is inside. */
function validityProblem(cert: ParsedCertificate, now: Date, what: string): string | undefined {
  const { notBefore, notAfter } = cert.asn.tbsCertificate.validity;
  if (now < notBefore.getTime()) return `${what} is not valid yet (valid from ${notBefore.getTime().toISOString()})`;
  if (now > notAfter.getTime()) return `${what} has expired (valid until ${notAfter.getTime().toISOString()})`;
  return undefined;
}

/** Why the trust anchor's extensions disqualify it as a CA, or undefined when they do not. */
function anchorExtensionsProblem(anchor: ParsedCertificate): string | undefined {
  const extensions = anchor.asn.tbsCertificate.extensions;
  if (!extensions || extensions.length === 0) return undefined; // a v1 certificate: nothing to check
  if (anchor.asn.tbsCertificate.version !== Version.v3) return 'TrustAnchor has extensions but is not an X.509 v3 certificate';
  const found = extensions.filter((e) => e.extnID === id_ce_basicConstraints);
  if (found.length === 0) return 'TrustAnchor has X.509 v3 extensions but no BasicConstraints extension';
  if (found.length > 1) return 'TrustAnchor has more than one BasicConstraints extension';
  let constraints: BasicConstraints;
  try {
    constraints = AsnConvert.parse((found[0] as Extension).extnValue, BasicConstraints);
  } catch {
    return 'TrustAnchor has a malformed BasicConstraints extension';
  }
  if (!constraints.cA) return 'TrustAnchor is not a CA certificate: its BasicConstraints extension has cA false';
  return undefined;
}

/** The input of InitializeCluster's certificate checks. */
export interface ClusterInitializationInput {
  /** The cluster CSR (ClusterCsr), as built by buildClusterCsr. */
  readonly csrPem: string;
  /** The user's SignedCert: the CSR signed by their CA. */
  readonly signedCertPem: string;
  /** The user's TrustAnchor: their CA's self-signed certificate. */
  readonly trustAnchorPem: string;
  readonly now: Date;
}

export type ClusterInitializationResult = { ok: true; lineageId: string } | { ok: false; reason: string };

/**
 * InitializeCluster's certificate rules (design/hsm-tier.md §2.1). TrustAnchor and SignedCert must
 * each be one PEM certificate of at most 5000 characters. The anchor must be self-signed (issuer
 * equals subject, and it verifies with its own key), be valid at `now`, and if it has v3
 * extensions, carry exactly one BasicConstraints extension with cA true. The SignedCert must
 * verify under the anchor's key, name the anchor's subject as issuer (same DER, or equal under
 * OpenSSL's canonical name comparison), certify the CSR's public key (compared as SPKI DER) and be
 * valid at `now`. The first rule broken gives the reason; on success the lineage id is the hex
 * SHA-256 of the SignedCert's DER.
 */
export function checkClusterInitialization(input: ClusterInitializationInput): ClusterInitializationResult {
  const { now } = input;
  const anchorParsed = parseCertificate(input.trustAnchorPem, 'TrustAnchor');
  if (!anchorParsed.ok) return anchorParsed;
  const signedParsed = parseCertificate(input.signedCertPem, 'SignedCert');
  if (!signedParsed.ok) return signedParsed;
  const csr = parseCsr(input.csrPem);
  if (!csr.ok) return csr;
  const anchor = anchorParsed.cert;
  const signed = signedParsed.cert;

  if (!signedBy(anchor, anchor.publicKey)) {
    return { ok: false, reason: 'TrustAnchor is not self-signed: its signature does not verify with its own public key' };
  }
  if (!anchor.issuer.equals(anchor.subject)) return { ok: false, reason: 'TrustAnchor is not self-signed: its issuer and subject differ' };
  const anchorValidity = validityProblem(anchor, now, 'TrustAnchor');
  if (anchorValidity) return { ok: false, reason: anchorValidity };
  const extensionsProblem = anchorExtensionsProblem(anchor);
  if (extensionsProblem) return { ok: false, reason: extensionsProblem };

  if (!signedBy(signed, anchor.publicKey)) return { ok: false, reason: 'SignedCert was not signed by TrustAnchor: its signature does not verify with the trust anchor\'s public key' };
  if (!signed.issuer.equals(anchor.subject) && !issuedBy(signed, anchor)) {
    return { ok: false, reason: 'SignedCert\'s issuer is not the subject of TrustAnchor' };
  }
  if (!spkiDer(signed.publicKey).equals(spkiDer(csr.cert.publicKey))) {
    return { ok: false, reason: 'SignedCert does not certify the cluster CSR: its public key differs from the CSR\'s' };
  }
  const signedValidity = validityProblem(signed, now, 'SignedCert');
  if (signedValidity) return { ok: false, reason: signedValidity };

  return { ok: true, lineageId: createHash('sha256').update(signed.der).digest('hex') };
}

/**
 * Whether two PEM certificates are the same certificate, by DER (line wrapping and whitespace in
 * the PEM do not matter). Anything that is not one well-formed PEM certificate of at most 5000
 * characters is the same as nothing: false, never a throw. For KMS's IncorrectTrustAnchorException.
 */
export function sameCertificate(pemA: string, pemB: string): boolean {
  const a = parseCertificate(pemA, 'A');
  const b = parseCertificate(pemB, 'B');
  return a.ok && b.ok && a.cert.der.equals(b.cert.der);
}
