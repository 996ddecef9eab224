/**
 * Canonical bytes of a KMS encryption context, used as part of the GCM AAD.
 * The encoding must be order-independent (JSON maps have no order) and
 * unambiguous (no two different contexts share bytes), so pairs are sorted by
 * the key's UTF-8 bytes and every string is length-prefixed:
 *   u32be count || for each pair: u32be len || key || u32be len || value
 * undefined and {} both encode as four zero bytes. Keys are case-sensitive.
 */
import { u32be, utf8 } from './bytes.ts';
import { CryptoError } from './errors.ts';

export function canonicalEncryptionContext(ec: Readonly<Record<string, string>> | undefined): Buffer {
  if (ec === undefined) return u32be(0);
  const pairs: [Buffer, Buffer][] = [];
  for (const key of Object.keys(ec)) {
    const value: unknown = ec[key];
    if (typeof value !== 'string') throw new CryptoError('encryption context values must be strings');
    pairs.push([utf8(key, 'encryption context key'), utf8(value, 'encryption context value')]);
  }
  // Byte-wise order of the UTF-8 key, not JS's UTF-16 code-unit order (they differ above U+FFFF).
  pairs.sort((a, b) => Buffer.compare(a[0], b[0]));
  const out: Buffer[] = [u32be(pairs.length)];
  for (const [k, v] of pairs) out.push(u32be(k.length), k, u32be(v.length), v);
  return Buffer.concat(out);
}
