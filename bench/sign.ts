/**
 * A SigV4 signer for the load generator, cheap per request: the signing key is derived once per
 * day and the signature of a (target, body) pair is reused within the same second (X-Amz-Date
 * has one-second resolution, so a real client would produce the very same signature).
 */
import { createHash, createHmac } from 'node:crypto';
import { canonicalRequest, signingKey, stringToSign } from '../src/auth/sigv4.ts';

export interface BenchCredentials { readonly accessKeyId: string; readonly secretAccessKey: string }

const SIGNED = ['content-type', 'host', 'x-amz-date', 'x-amz-target'];

export class FastSigner {
  private key: Buffer | undefined;
  private keyDate = '';
  private readonly cache = new Map<string, { amzDate: string; authorization: string }>();

  constructor(
    private readonly creds: BenchCredentials,
    private readonly region: string,
    private readonly service: string,
    private readonly host: string,
    private readonly contentType = 'application/x-amz-json-1.1',
  ) {}

  /** Headers for POST / with this target and body. */
  headers(target: string, body: string): Record<string, string> {
    const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const cacheKey = `${target}\n${body}`;
    const hit = this.cache.get(cacheKey);
    const base = { 'content-type': this.contentType, host: this.host, 'x-amz-date': amzDate, 'x-amz-target': target };
    if (hit && hit.amzDate === amzDate) return { ...base, authorization: hit.authorization };
    const date = amzDate.slice(0, 8);
    if (this.keyDate !== date || !this.key) {
      this.key = signingKey(this.creds.secretAccessKey, date, this.region, this.service);
      this.keyDate = date;
    }
    const payloadHash = createHash('sha256').update(body).digest('hex');
    const canonical = canonicalRequest({ method: 'POST', path: '/', query: '', headers: base, body: Buffer.from(body) }, SIGNED, payloadHash);
    const scope = `${date}/${this.region}/${this.service}/aws4_request`;
    const signature = createHmac('sha256', this.key).update(stringToSign(amzDate, scope, canonical)).digest('hex');
    const authorization = `AWS4-HMAC-SHA256 Credential=${this.creds.accessKeyId}/${scope}, SignedHeaders=${SIGNED.join(';')}, Signature=${signature}`;
    this.cache.set(cacheKey, { amzDate, authorization });
    return { ...base, authorization };
  }
}
