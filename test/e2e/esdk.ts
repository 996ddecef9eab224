/**
 * The AWS Encryption SDK for JavaScript (@aws-crypto/client-node), unmodified, against a running
 * Coffer: KMS keyrings whose clients are the AWS SDK's `KMS` with Coffer's endpoint, and "encrypt
 * a file with key K, decrypt it, compare" for any suite to reuse (encryption-sdk.test.ts; the
 * same round trip serves keys of other origins, e.g. AWS_CLOUDHSM).
 */
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Duplex } from 'node:stream';
import {
  buildClient, CommitmentPolicy, KMS, KmsKeyringNode,
  type EncryptionContext, type KmsKeyringNodeInput, type KmsNodeClientSupplier, type MessageHeader,
} from '@aws-crypto/client-node';
import { REGION, type Coffer } from './harness.ts';

/** encrypt/decrypt (buffers) and encryptStream/decryptStream, committing (the ESDK's default policy). */
export const esdk = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);

/** One KMS call the ESDK made through a recording client provider. */
export interface KmsCall {
  readonly operation: 'GenerateDataKey' | 'Encrypt' | 'Decrypt';
  readonly keyId: string;
  readonly encryptionContext: EncryptionContext | undefined;
  /** The AWS SDK's error, as Coffer's answer was parsed (its `name` is the KMS error code). */
  readonly error?: Error;
}

/**
 * A client provider for KMS keyrings: the AWS SDK's `KMS` client with Coffer's endpoint, the test
 * credentials and the region the ESDK asks for (from the key ARN; the test region for ids without
 * one, such as alias names); retries off. With `calls`, every generateDataKey/encrypt/decrypt the
 * ESDK makes is recorded there, with the SDK's error when Coffer refused it (the ESDK itself
 * reports those only as text in its own error). The answers are handed over as the SDK parsed
 * them, with absent members left out (the ESDK checks their types itself).
 */
export function cofferClientProvider(coffer: Coffer, calls?: KmsCall[]): KmsNodeClientSupplier {
  const clients = new Map<string, KMS>();
  return (region: string) => {
    const r = region === '' ? REGION : region;
    let kms = clients.get(r);
    if (kms === undefined) {
      kms = new KMS({ endpoint: coffer.endpoint, region: r, credentials: coffer.credentials, maxAttempts: 1 });
      clients.set(r, kms);
    }
    const client = kms;
    const record = async <T>(operation: KmsCall['operation'], keyId: string, encryptionContext: EncryptionContext | undefined, call: () => Promise<T>): Promise<T> => {
      try {
        const out = await call();
        calls?.push({ operation, keyId, encryptionContext });
        return out;
      } catch (e) {
        calls?.push({ operation, keyId, encryptionContext, error: e instanceof Error ? e : new Error(String(e)) });
        throw e;
      }
    };
    return {
      generateDataKey: (args) => record('GenerateDataKey', args.KeyId, args.EncryptionContext, async () => present(await client.generateDataKey(args))),
      encrypt: (args) => record('Encrypt', args.KeyId, args.EncryptionContext, async () => present(await client.encrypt(args))),
      decrypt: (args) => record('Decrypt', args.KeyId ?? '', args.EncryptionContext, async () => present(await client.decrypt(args))),
    };
  };
}

/** The KeyId, Plaintext and CiphertextBlob of an SDK answer, each only if present. */
function present(out: { KeyId?: string | undefined; Plaintext?: Uint8Array | undefined; CiphertextBlob?: Uint8Array | undefined }): { KeyId?: string; Plaintext?: Uint8Array; CiphertextBlob?: Uint8Array } {
  return {
    ...(out.KeyId !== undefined ? { KeyId: out.KeyId } : {}),
    ...(out.Plaintext !== undefined ? { Plaintext: out.Plaintext } : {}),
    ...(out.CiphertextBlob !== undefined ? { CiphertextBlob: out.CiphertextBlob } : {}),
  };
}

/** A KMS keyring on Coffer: `generatorKeyId` makes the data key, `keyIds` encrypt it too (and are the keys it may decrypt with). */
export function cofferKeyring(coffer: Coffer, keys: Omit<KmsKeyringNodeInput, 'clientProvider'>, calls?: KmsCall[]): KmsKeyringNode {
  return new KmsKeyringNode({ ...keys, clientProvider: cofferClientProvider(coffer, calls) });
}

export interface RoundTrip {
  readonly ciphertextFile: string;
  readonly decryptedFile: string;
  /** The header of the encrypted file, as the encrypting stream wrote it. */
  readonly encryptedHeader: MessageHeader;
  /** The header as the decrypting stream read it back. */
  readonly decryptedHeader: MessageHeader;
}

/** Encrypts `file` with a streaming ESDK encrypt into `<file>.esdk`; resolves with the message header. */
export async function encryptFile(keyring: KmsKeyringNode, file: string, encryptionContext: EncryptionContext, to = `${file}.esdk`): Promise<MessageHeader> {
  const stream = esdk.encryptStream(keyring, { encryptionContext });
  const header = headerOf(stream);
  await pipeline(createReadStream(file), stream, createWriteStream(to));
  return header();
}

/** Decrypts `from` with a streaming ESDK decrypt into `to`; resolves with the message header. */
export async function decryptFile(keyring: KmsKeyringNode, from: string, to: string): Promise<MessageHeader> {
  const stream = esdk.decryptStream(keyring);
  const header = headerOf(stream);
  await pipeline(createReadStream(from), stream, createWriteStream(to));
  return header();
}

/**
 * The header an ESDK stream emits ('MessageHeader'), once the pipeline finished; rejects if the
 * stream ended without one. (The pipeline reports the stream's errors.)
 */
function headerOf(stream: Duplex): () => MessageHeader {
  let header: MessageHeader | undefined;
  stream.once('MessageHeader', (h: MessageHeader) => { header = h; });
  return () => {
    if (header === undefined) throw new Error('the ESDK stream ended without a message header');
    return header;
  };
}

/**
 * Encrypts `file` under the Coffer key `keyArn` (a key ARN, or an alias ARN: the data key's
 * encrypted copy names the key ARN either way, so decryption uses `decryptKeyArn`, by default
 * `keyArn`), decrypts the result with a keyring of that key alone, and throws unless the bytes
 * and the encryption context come back unchanged.
 */
export async function esdkRoundTrip(
  coffer: Coffer, keyArn: string, file: string,
  opts: { encryptionContext?: EncryptionContext; decryptKeyArn?: string; calls?: KmsCall[] } = {},
): Promise<RoundTrip> {
  const context = opts.encryptionContext ?? { purpose: 'esdk-round-trip', file };
  const ciphertextFile = `${file}.esdk`;
  const decryptedFile = `${file}.esdk.out`;
  const encryptedHeader = await encryptFile(cofferKeyring(coffer, { generatorKeyId: keyArn }, opts.calls), file, context, ciphertextFile);
  const decryptedHeader = await decryptFile(cofferKeyring(coffer, { keyIds: [opts.decryptKeyArn ?? keyArn] }, opts.calls), ciphertextFile, decryptedFile);

  const plain = readFileSync(file);
  const cipher = readFileSync(ciphertextFile);
  if (cipher.includes(plain.subarray(0, Math.min(64, plain.length)))) throw new Error(`${ciphertextFile} holds the plaintext`);
  if (!plain.equals(readFileSync(decryptedFile))) throw new Error(`${decryptedFile} differs from ${file}`);
  for (const [k, v] of Object.entries(context)) {
    if (decryptedHeader.encryptionContext[k] !== v) throw new Error(`the decrypted message's encryption context lost ${k}=${v}: ${JSON.stringify(decryptedHeader.encryptionContext)}`);
  }
  return { ciphertextFile, decryptedFile, encryptedHeader, decryptedHeader };
}
