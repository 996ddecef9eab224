/**
 * PEM (RFC 7468) for certificates and certificate requests that arrive from users: one block, a
 * label from an allowed list, strict base64 in between, and a size bound checked before any
 * regular expression or decoder sees the text. Whitespace and line wrapping inside the block do
 * not matter; anything else around it (a second block, "Bag Attributes" text) is refused. Nothing
 * here throws on user input: a refusal is a value.
 */

export type PemResult = { ok: true; label: string; der: Buffer } | { ok: false; problem: 'too-long' | 'not-pem' | 'wrong-label' };

const BLOCK = /^-----BEGIN ([A-Z0-9]+(?: [A-Z0-9]+)*)-----([A-Za-z0-9+/=\s]*)-----END ([A-Z0-9]+(?: [A-Z0-9]+)*)-----$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The DER of the single PEM block in `text`, if its label is one of `labels` and `text` has at most `maxChars` characters. */
export function pemToDer(text: unknown, labels: readonly string[], maxChars: number): PemResult {
  if (typeof text !== 'string') return { ok: false, problem: 'not-pem' };
  if (text.length > maxChars) return { ok: false, problem: 'too-long' };
  const m = BLOCK.exec(text.trim());
  if (!m || m[1] !== m[3]) return { ok: false, problem: 'not-pem' };
  const label = m[1] as string;
  if (!labels.includes(label)) return { ok: false, problem: 'wrong-label' };
  const body = (m[2] as string).replace(/\s+/g, '');
  if (body.length === 0 || body.length % 4 !== 0 || !BASE64.test(body)) return { ok: false, problem: 'not-pem' };
  return { ok: true, label, der: Buffer.from(body, 'base64') };
}

/** PEM text of `der` under `label`, 64 base64 characters a line, ending in a newline. */
export function derToPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
