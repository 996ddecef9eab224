/**
 * message.ts in process, against the AWS Encryption SDK for JavaScript's own buffer encrypt and
 * decrypt with a raw AES keyring (no KMS, no processes, so every size and every byte can be tried):
 * both committing suites with 64-byte frames, every plaintext size around the frame boundaries, the
 * input fed in odd-sized chunks (stdin's path through the Reader); then every single flipped byte
 * and every truncation of a small message must fail, and bytes after it too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buildClient, CommitmentPolicy, RawAesKeyringNode, RawAesWrappingSuiteIdentifier } from '@aws-crypto/client-node';
import { decryptMessage, encryptMessage, loadEsdk } from './message.ts';
import { streamReader, type Writer } from './files.ts';

const UNSIGNED = 0x0478; // ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY
const SIGNED = 0x0578; // ..._COMMIT_KEY_ECDSA_P384
const FRAME = 64;
const esdkClient = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
const keyring = new RawAesKeyringNode({ keyName: 'k', keyNamespace: 'test', unencryptedMasterKey: randomBytes(32), wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING });
const policy = { commitmentPolicy: CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT, maxEncryptedDataKeys: 10 };

/** `bytes` as a stream of chunks of `chunk` bytes. */
const chunked = (bytes: Buffer, chunk: number) => streamReader(Readable.from((function* pieces() {
  for (let at = 0; at < bytes.length; at += chunk) yield bytes.subarray(at, at + chunk);
})()));

function collector(): { writer: Writer; bytes: () => Buffer } {
  const parts: Buffer[] = [];
  return { writer: { write: async (p) => { parts.push(...p.map((b) => Buffer.from(b))); } }, bytes: () => Buffer.concat(parts) };
}

async function cofferEncrypt(plain: Buffer, suiteId: number, chunk = 7): Promise<Buffer> {
  const out = collector();
  await encryptMessage(await loadEsdk(), keyring, chunked(plain, chunk), out.writer, { ...policy, suiteId, frameLength: FRAME, encryptionContext: { purpose: 'test' } });
  return out.bytes();
}

async function cofferDecrypt(message: Buffer, chunk = 13): Promise<Buffer> {
  const out = collector();
  await decryptMessage(await loadEsdk(), keyring, chunked(message, chunk), out.writer, policy);
  return out.bytes();
}

test('both ways with the ESDK: both suites, every size around the frame boundaries, odd chunks', async () => {
  const sizes = [0, 1, FRAME - 9, FRAME - 8, FRAME - 7, FRAME - 1, FRAME, FRAME + 1, 2 * FRAME - 1, 2 * FRAME, 2 * FRAME + 1, 5 * FRAME + 3];
  for (const suiteId of [UNSIGNED, SIGNED]) {
    for (const size of sizes) {
      const plain = randomBytes(size);
      const ours = await cofferEncrypt(plain, suiteId);
      const theirs = await esdkClient.decrypt(keyring, ours);
      assert.deepEqual(theirs.plaintext, plain, `ESDK decrypts coffer's, suite ${suiteId.toString(16)}, ${size} bytes`);
      assert.equal(theirs.messageHeader.frameLength, FRAME);
      assert.equal(theirs.messageHeader.suiteId, suiteId);
      const { result } = await esdkClient.encrypt(keyring, plain, { suiteId, frameLength: FRAME, encryptionContext: { purpose: 'test' } });
      for (const chunk of [1, 13, 4096]) assert.deepEqual(await cofferDecrypt(result, chunk), plain, `coffer decrypts the ESDK's, suite ${suiteId.toString(16)}, ${size} bytes, chunks of ${chunk}`);
      // The same layout as the ESDK's (unsigned: byte count equal; signed: the DER signature varies by a byte or two).
      if (suiteId === UNSIGNED) assert.equal(ours.length, result.length, `${size} bytes`);
    }
  }
});

test('every flipped byte, every truncation and a trailing byte fail', async () => {
  for (const suiteId of [UNSIGNED, SIGNED]) {
    const plain = randomBytes(2 * FRAME + 10);
    const message = await cofferEncrypt(plain, suiteId);
    assert.deepEqual(await cofferDecrypt(message), plain);
    for (let at = 0; at < message.length; at++) {
      const bad = Buffer.from(message);
      bad[at] = (bad[at] ?? 0) ^ 0x40;
      await assert.rejects(cofferDecrypt(bad), `suite ${suiteId.toString(16)}: flipped byte ${at} of ${message.length}`);
    }
    for (let cut = 0; cut < message.length; cut++) {
      await assert.rejects(cofferDecrypt(message.subarray(0, cut)), `suite ${suiteId.toString(16)}: cut at ${cut} of ${message.length}`);
    }
    await assert.rejects(cofferDecrypt(Buffer.concat([message, Buffer.from([0])])), /bytes after|Invalid Signature|signature/i);
  }
});
