/**
 * `coffer encrypt` and `coffer decrypt`: envelope encryption of a file or a stream of any size in
 * the AWS Encryption SDK's message format, with the ESDK for JavaScript's materials, key derivation,
 * commitment, serializer and signer and a KMS keyring whose KMS client points at Coffer; the frame
 * loop is message.ts's. What one encrypts, the ESDK (any language) decrypts, and back.
 *
 * Choices (measured in bench/files.ts, figures in the README):
 * - Suite: ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY (key-committing, no signature) by
 *   default; `--signed` takes ..._COMMIT_KEY_ECDSA_P384, the ESDK's default. The signature hashes
 *   the whole message with SHA-384 on one core (no hardware help), which caps the throughput well
 *   below the unsigned suite's. What it adds: someone who may Decrypt with the KMS key but not
 *   Encrypt cannot forge a message. With one symmetric KMS key used both ways, as here, whoever
 *   can decrypt the data key can also encrypt; sign when those roles differ.
 * - Frame length 1 MiB (`--frame-length`): a per-frame cost (cipher object, header, tag) makes
 *   4 KiB frames slow; two or three frames are held in memory while they are read, encrypted or
 *   authenticated, and written.
 * - Decrypt refuses frames over 64 MiB and unframed messages (one frame of any size), so memory
 *   stays bounded whatever the input says, and requires a committing suite (the ESDK's
 *   REQUIRE_ENCRYPT_REQUIRE_DECRYPT policy) and at most 10 encrypted data keys.
 *
 * Exit status: 0 done, 1 failed (the AWS error name printed when KMS refused), 2 usage (commands/file-crypto.ts).
 */
import type { MessageHeader } from '@aws-crypto/serialize';
import { cofferKms, type CofferKms, type Env } from './kms.ts';
import { openInput, openOutput } from './files.ts';
import { progressMeter } from './progress.ts';
import { decryptMessage, encryptMessage, loadEsdk, MessageError, type Esdk } from './message.ts';
import type { Parsed } from './args.ts';

const MAX_DECRYPT_FRAME = 64 * 1024 * 1024;

class Refused extends Error {}

/** `coffer encrypt|decrypt` with its checked options: the exit status. */
export async function runFileCrypto(command: 'encrypt' | 'decrypt', parsed: Parsed, env: Env): Promise<number> {
  // The AWS SDK warns on every run that its 2027 releases will need Node 22; a user of this command
  // cannot act on that, and scripts read stderr for the command's own errors.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // The ESDK, loaded when a command runs: importing it takes about half a second, which every other `coffer` command would pay.
  const esdk = await loadEsdk();
  const kms = cofferKms(esdk.kms.KMS, parsed, env);
  try {
    await run(esdk, command, parsed, kms);
    return 0;
  } catch (e) {
    console.error(`coffer ${command}: ${describe(e, kms)}`);
    return 1;
  }
}

/** The failure as a line: KMS's error name and message when a KMS call failed, else the error's message. */
function describe(e: unknown, kms: CofferKms): string {
  // The ESDK's keyring errors carry their inner errors' stacks in the message: one line, no stack.
  const message = (e instanceof Error ? e.message : String(e)).split('\n').filter((l) => !/^\s*at /.test(l)).map((l) => l.trim()).filter((l) => l !== '').join(' ');
  if (e instanceof Refused || e instanceof MessageError) return message;
  const kmsFailure = kms.failures.at(-1);
  if (kmsFailure !== undefined) return `${kmsFailure.name}: ${kmsFailure.message} (${kmsFailure.operation})`;
  return message;
}

async function run(esdk: Esdk, command: 'encrypt' | 'decrypt', o: Parsed, kms: CofferKms): Promise<void> {
  const { AlgorithmSuiteIdentifier: Suite, CommitmentPolicy } = esdk.sdk;
  const { KmsKeyringNode } = esdk.kms;
  // The ESDK's REQUIRE_ENCRYPT_REQUIRE_DECRYPT policy: committing suites only, both ways.
  const policy = { commitmentPolicy: CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT, maxEncryptedDataKeys: 10 };
  if (o.out !== '-' && o.in !== '-' && o.out === o.in) throw new Refused('--out must differ from --in');
  const input = await openInput(o.in);
  try {
    const keyring = command === 'encrypt'
      ? new KmsKeyringNode({ generatorKeyId: o.keyIds[0] ?? '', keyIds: o.keyIds.slice(1), clientProvider: kms.clientProvider }) // (checkOptions requires one)
      : o.keyIds.length > 0
        ? new KmsKeyringNode({ keyIds: await Promise.all(o.keyIds.map((k) => kms.keyArn(k))), clientProvider: kms.clientProvider })
        : new KmsKeyringNode({ discovery: true, clientProvider: kms.clientProvider });
    const output = await openOutput(o.out, command === 'decrypt' ? 0o600 : 0o644);
    const meter = await progressMeter(command === 'encrypt' ? 'encrypting' : 'decrypting', input.size);
    try {
      if (command === 'encrypt') {
        await encryptMessage(esdk, keyring, input.reader, output.writer, {
          ...policy, frameLength: o.frameLength, encryptionContext: o.context, progress: meter?.update,
          suiteId: o.signed ? Suite.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384 : Suite.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY,
        });
      } else {
        await decryptMessage(esdk, keyring, input.reader, output.writer, { ...policy, check: (h) => headerProblem(h, o.context), progress: meter?.update });
      }
      meter?.stop();
      await output.commit();
    } catch (e) {
      meter?.stop();
      await output.discard();
      throw e;
    }
  } finally {
    await input.close();
  }
}

/** Why a message's header is refused before any of its body is read, or undefined. */
function headerProblem(header: MessageHeader, required: Readonly<Record<string, string>>): string | undefined {
  for (const [k, v] of Object.entries(required)) {
    const actual = header.encryptionContext[k];
    if (actual === undefined) return `the message's encryption context has no ${k} (required by --context ${k}=${v})`;
    if (actual !== v) return `the message's encryption context has ${k}=${actual}, not ${v}`;
  }
  if (header.frameLength > MAX_DECRYPT_FRAME) return `the message's frames are ${header.frameLength} bytes; coffer decrypts frames of at most ${MAX_DECRYPT_FRAME} bytes (memory bound)`;
  return undefined;
}
