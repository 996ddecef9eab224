/**
 * The framed body of an AWS Encryption SDK message, written and read with Node's AES-256-GCM one
 * frame at a time, because the ESDK's own streams (readable-stream, duplexify, a setImmediate per
 * chunk and per frame part) cost more than the cipher: measured in bench/files.ts.
 *
 * Nothing here is a new primitive or a new format. Everything cryptographic comes from the ESDK
 * for JavaScript (5.0.2), as its encryptStream/decryptStream use it:
 * - the materials (data key, KMS calls, signing key) from its default CMM over the given keyring;
 * - key derivation and key commitment (HKDF-SHA512) from getEncryptHelper/getDecryptionHelper
 *   (material-management-node), which also checks the commitment when decrypting;
 * - the header, header authentication, frame headers, frame IVs, the AAD of each frame, and the
 *   signature footer from @aws-crypto/serialize (build/serialize/deserialize/decodeBodyHeader);
 * - the ECDSA signer and verifier (signed suite) from the same helpers.
 * What this module adds is only the loop: read a frame, encrypt or authenticate it, write it. The
 * output is byte for byte what the ESDK writes for the same frames (regular frames of exactly the
 * frame length, then a final frame of 0 to frameLength bytes), and test/e2e/file-crypto.test.ts
 * proves both ways against the ESDK's own encrypt/decrypt.
 *
 * Memory: about three frames (one being read, one in the cipher, one being written), whatever
 * the input's size. Decrypt writes a frame's plaintext only once its tag authenticated.
 */
import { randomBytes } from 'node:crypto';
import type { AlgorithmSuiteIdentifier, KeyringNode, NodeAlgorithmSuite, NodeDecryptionMaterial, NodeEncryptionMaterial } from '@aws-crypto/material-management-node';
import type { MessageHeader } from '@aws-crypto/serialize';
import type { Reader, Writer } from './files.ts';

/** The parts of the ESDK for JavaScript used here (client-node re-exports them; loading only these saves ~0.1 s of CPU). */
type Sdk = typeof import('@aws-crypto/material-management-node');
type Serialize = typeof import('@aws-crypto/serialize');
type Kms = typeof import('@aws-crypto/kms-keyring-node');

/** Loaded when a command runs (the ESDK takes a few tenths of a second to import). */
export interface Esdk { readonly sdk: Sdk; readonly ser: Serialize; readonly kms: Kms }

export async function loadEsdk(): Promise<Esdk> {
  const [sdk, ser, kms] = await Promise.all([import('@aws-crypto/material-management-node'), import('@aws-crypto/serialize'), import('@aws-crypto/kms-keyring-node')]);
  return { sdk, ser, kms };
}

/** A refusal to show as it is (not a KMS failure). */
export class MessageError extends Error {}

function need(ok: boolean, message: string): void {
  if (!ok) throw new MessageError(message);
}

/**
 * A read or write left running while the loop does something else: if it fails before the loop
 * awaits it, that is not an unhandled rejection (which would end the process before the
 * temporary file is removed); the loop's `await` still throws the error.
 */
function inFlight<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

const fromUtf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
const toUtf8 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
const buf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** A header bigger than this is refused (10 data keys of 64 KiB fields and a 64 KiB context fit). */
const MAX_HEADER = 4 * 1024 * 1024;
/**
 * The cipher is fed a frame in pieces of this size: each piece's output is a buffer of its own, and
 * at 64 KiB these come from the C heap's free lists instead of a fresh mmap per frame (whose page
 * faults cost more system time than the AES itself).
 */
const PIECE = 64 * 1024;

/** `update` of `data` in PIECE-sized pieces, the outputs appended to `out`. */
function updateInPieces(c: { update(data: Buffer): Buffer }, data: Buffer, out: Buffer[]): void {
  for (let at = 0; at < data.length; at += PIECE) {
    const piece = c.update(data.subarray(at, Math.min(at + PIECE, data.length)));
    if (piece.length > 0) out.push(piece);
  }
}

/** The signature footer: a 2-byte length and an ECDSA P-384 DER signature (at most 104 bytes). */
const MAX_FOOTER = 2 + 1024;

export interface EncryptOptions {
  readonly suiteId: AlgorithmSuiteIdentifier;
  readonly frameLength: number;
  readonly encryptionContext: Readonly<Record<string, string>>;
  readonly commitmentPolicy: Sdk['CommitmentPolicy'][keyof Sdk['CommitmentPolicy']];
  readonly maxEncryptedDataKeys: number;
  /** Called with the plaintext bytes done so far (progress). */
  readonly progress?: ((plaintextBytes: number) => void) | undefined;
}

/** Encrypts everything `input` gives into one framed message written to `output`. */
export async function encryptMessage({ sdk, ser }: Esdk, keyring: KeyringNode, input: Reader, output: Writer, o: EncryptOptions): Promise<void> {
  need(o.frameLength > 0 && o.frameLength <= ser.Maximum.FRAME_SIZE, 'frameLength out of bounds');
  const cmm = new sdk.NodeDefaultCryptographicMaterialsManager(keyring);
  const suite = new sdk.NodeAlgorithmSuite(o.suiteId);
  sdk.CommitmentPolicySuites.isEncryptEnabled(o.commitmentPolicy, suite);
  const material: NodeEncryptionMaterial = await cmm.getEncryptionMaterials({ suite, encryptionContext: { ...o.encryptionContext }, commitmentPolicy: o.commitmentPolicy });
  sdk.CommitmentPolicySuites.isEncryptEnabled(o.commitmentPolicy, material.suite);
  need(material.encryptedDataKeys.length <= o.maxEncryptedDataKeys, 'maxEncryptedDataKeys exceeded.');
  const { getCipherInfo, getSigner, dispose } = sdk.getEncryptHelper(material);
  try {
    // The header, as the ESDK's getEncryptionInfo (encrypt-node/encrypt_stream) builds it.
    const serialize = ser.serializeFactory(fromUtf8, { utf8Sorting: true });
    const aad = ser.aadFactory(fromUtf8);
    const { ivLength } = material.suite;
    const messageIdLength = Number(ser.MessageIdLength[sdk.MessageFormat[material.suite.messageFormat] as keyof typeof ser.MessageIdLength]);
    need(messageIdLength > 0, 'Algorithm suite has unknown message format.');
    const messageId = randomBytes(messageIdLength);
    const { getCipher, keyCommitment } = getCipherInfo(messageId);
    const messageHeader = serialize.buildMessageHeader({
      suite: material.suite, encryptedDataKeys: material.encryptedDataKeys, encryptionContext: material.encryptionContext,
      messageId, frameLength: o.frameLength, ...(keyCommitment !== undefined ? { suiteData: keyCommitment } : {}),
    });
    const rawHeader = buf(serialize.serializeMessageHeader(messageHeader));
    const headerIv = serialize.headerAuthIv(ivLength);
    const headerAuth = getCipher(headerIv);
    headerAuth.setAAD(rawHeader);
    headerAuth.update(Buffer.alloc(0));
    headerAuth.final();
    const headerAuthBytes = buf(ser.serializeMessageHeaderAuth({ headerIv, headerAuthTag: headerAuth.getAuthTag(), messageHeader }));
    const signer = getSigner?.();
    const emit = (parts: Buffer[]): Promise<void> => {
      if (signer) for (const p of parts) signer.update(p);
      return output.write(parts);
    };
    let writing = inFlight(emit([rawHeader, headerAuthBytes]));

    // The body: regular frames of exactly frameLength bytes, then a final frame of what is left
    // (0 bytes when the input is a multiple of frameLength), as the ESDK's FramedEncryptStream.
    const { contentType } = messageHeader;
    // Two frame buffers, used in turn: one is read into while the other one is encrypted.
    const buffers = [Buffer.allocUnsafe(o.frameLength), Buffer.allocUnsafe(o.frameLength)] as const;
    let reading = inFlight(input.read(o.frameLength, { into: buffers[0] }));
    let done = 0;
    for (let sequenceNumber = 1; ; sequenceNumber++) {
      need(sequenceNumber <= ser.Maximum.FRAME_COUNT, 'too many frames');
      const plain = await reading;
      const isFinalFrame = plain.length < o.frameLength;
      if (!isFinalFrame) reading = inFlight(input.read(o.frameLength, { into: sequenceNumber % 2 === 0 ? buffers[0] : buffers[1] })); // the next read runs while this frame is encrypted
      const frameIv = serialize.frameIv(ivLength, sequenceNumber);
      const bodyHeader = buf(isFinalFrame ? serialize.finalFrameHeader(sequenceNumber, frameIv, plain.length) : serialize.frameHeader(sequenceNumber, frameIv));
      const cipher = getCipher(frameIv);
      cipher.setAAD(buf(aad.messageAAD(messageId, aad.messageAADContentString({ contentType, isFinalFrame }), sequenceNumber, plain.length)));
      const parts = [bodyHeader];
      updateInPieces(cipher, plain, parts);
      const tail = cipher.final();
      if (tail.length > 0) parts.push(tail);
      parts.push(cipher.getAuthTag());
      await writing;
      writing = inFlight(emit(parts));
      done += plain.length;
      o.progress?.(done);
      if (isFinalFrame) break;
    }
    await writing;
    if (signer) await output.write([buf(ser.serializeSignatureInfo(signer.awsCryptoSign()))]);
  } finally {
    dispose();
  }
}

export interface DecryptOptions {
  readonly commitmentPolicy: Sdk['CommitmentPolicy'][keyof Sdk['CommitmentPolicy']];
  readonly maxEncryptedDataKeys: number;
  /** Looks at the header before any KMS call: a message to refuse it with, or undefined. */
  readonly check?: (header: MessageHeader) => string | undefined;
  /** Called with the message bytes read so far (progress). */
  readonly progress?: ((messageBytes: number) => void) | undefined;
}

/** Decrypts one framed message from `input` to `output`; throws on any tampering, truncation or trailing bytes. */
export async function decryptMessage({ sdk, ser }: Esdk, keyring: KeyringNode, input: Reader, output: Writer, o: DecryptOptions): Promise<void> {
  const deserialize = ser.deserializeFactory(toUtf8, sdk.NodeAlgorithmSuite);
  // The header: read until deserializeMessageHeader has all of it (it answers false before).
  let head: Buffer = Buffer.alloc(0);
  let headerInfo: ReturnType<typeof deserialize.deserializeMessageHeader> = false;
  while (headerInfo === false) {
    const more = await input.read(64 * 1024, { upTo: true });
    if (more.length === 0) throw new MessageError(head.length === 0 ? 'the input is empty, not an Encryption SDK message' : 'the message is truncated (incomplete header)');
    head = head.length === 0 ? more : Buffer.concat([head, more]);
    if (head.length > MAX_HEADER) throw new MessageError(`the message's header is over ${MAX_HEADER} bytes`);
    headerInfo = deserialize.deserializeMessageHeader(head, { maxEncryptedDataKeys: o.maxEncryptedDataKeys });
  }
  const { messageHeader, rawHeader, headerAuth, algorithmSuite } = headerInfo;
  const messageIdHex = buf(messageHeader.messageId).toString('hex');
  sdk.CommitmentPolicySuites.isDecryptEnabled(o.commitmentPolicy, algorithmSuite, messageIdHex);
  if (messageHeader.contentType !== ser.ContentType.FRAMED_DATA) throw new MessageError('the message is not framed (its body is one piece of any size); coffer decrypts framed messages only');
  const problem = o.check?.(messageHeader);
  if (problem !== undefined) throw new MessageError(problem);
  input.unread(head.subarray(rawHeader.byteLength + headerAuth.headerAuthLength));

  const cmm = new sdk.NodeDefaultCryptographicMaterialsManager(keyring);
  const suite: NodeAlgorithmSuite = new sdk.NodeAlgorithmSuite(algorithmSuite.id);
  const material: NodeDecryptionMaterial = await cmm.decryptMaterials({ suite, encryptionContext: messageHeader.encryptionContext, encryptedDataKeys: messageHeader.encryptedDataKeys });
  sdk.CommitmentPolicySuites.isDecryptEnabled(o.commitmentPolicy, material.suite, messageIdHex);
  const { getDecipherInfo, getVerify, dispose } = sdk.getDecryptionHelper(material);
  try {
    // getDecipherInfo derives the key and checks the header's key commitment (throws if it differs).
    const getDecipher = getDecipherInfo(messageHeader.messageId, 'suiteData' in messageHeader ? messageHeader.suiteData : undefined);
    const { headerIv, headerAuthTag } = headerAuth;
    const auth = getDecipher(headerIv);
    auth.setAAD(buf(rawHeader));
    auth.setAuthTag(buf(headerAuthTag));
    auth.update(Buffer.alloc(0));
    auth.final(); // throws when the header was altered
    const verify = getVerify?.();
    if (verify) {
      verify.update(buf(rawHeader));
      verify.update(buf(ser.serializeMessageHeaderAuth({ headerIv, headerAuthTag, messageHeader })));
    }

    const serialize = ser.serializeFactory(fromUtf8, { utf8Sorting: true });
    const aad = ser.aadFactory(fromUtf8);
    const { frameLength, messageId, contentType } = messageHeader;
    const { ivLength, tagLength } = algorithmSuite;
    const tagBytes = tagLength / 8;
    const regularFrame = 4 + ivLength + frameLength + tagBytes; // sequence number, IV, content, tag
    let read = rawHeader.byteLength + headerAuth.headerAuthLength;
    let writing: Promise<void> = Promise.resolve();
    // Two frame buffers, used in turn: one is read into while the other one is authenticated.
    const buffers = [Buffer.allocUnsafe(regularFrame), Buffer.allocUnsafe(regularFrame)] as const;
    let reading = inFlight(input.read(regularFrame, { into: buffers[0] }));
    for (let expected = 1; ; expected++) {
      let frame = await reading;
      const header = frame.length >= 4 ? ser.decodeBodyHeader(frame, headerInfo, 0) : false;
      if (header === false) throw new MessageError('the message is truncated (incomplete frame header)');
      need(header.sequenceNumber === expected, 'Encrypted body sequence out of order.');
      need(buf(header.iv).equals(buf(serialize.frameIv(ivLength, expected))), 'Frame IV does not match its sequence number.');
      const end = header.readPos + header.contentLength + tagBytes;
      if (!header.isFinalFrame) reading = inFlight(input.read(regularFrame, { into: expected % 2 === 0 ? buffers[0] : buffers[1] })); // the next read runs while this frame is authenticated
      // The final frame's header is 8 bytes longer than a regular one's: with content of more than
      // frameLength - 8 bytes it goes past the bytes read for a regular frame.
      else if (frame.length < end && frame.length === regularFrame) frame = Buffer.concat([frame, await input.read(end - frame.length)]);
      else if (frame.length > end) input.unread(Buffer.from(frame.subarray(end))); // a copy: the frame buffer is not ours to keep
      if (frame.length < end) throw new MessageError('the message is truncated (incomplete frame)');
      const content = frame.subarray(header.readPos, header.readPos + header.contentLength);
      const decipher = getDecipher(header.iv);
      decipher.setAAD(buf(aad.messageAAD(messageId, aad.messageAADContentString({ contentType, isFinalFrame: header.isFinalFrame }), expected, header.contentLength)));
      decipher.setAuthTag(frame.subarray(header.readPos + header.contentLength, end));
      const plain: Buffer[] = [];
      updateInPieces(decipher, content, plain);
      const tail = decipher.final(); // throws when the frame was altered
      if (tail.length > 0) plain.push(tail);
      if (verify) verify.update(frame.subarray(0, end));
      await writing;
      writing = inFlight(output.write(plain));
      read += end;
      o.progress?.(read);
      if (header.isFinalFrame) break;
    }
    await writing;
    // After the final frame: the signature footer (signed suite) or nothing at all.
    const rest = await input.read(MAX_FOOTER + 1);
    if (verify) {
      if (rest.length > MAX_FOOTER) throw new MessageError('bytes after the message\'s signature');
      const signature = ser.deserializeSignature(rest);
      need(2 + signature.byteLength === rest.length, 'bytes after the message\'s signature');
      need(verify.awsCryptoVerify(buf(signature)), 'Invalid Signature');
    } else if (rest.length > 0) {
      throw new MessageError('bytes after the message\'s final frame');
    }
  } finally {
    dispose();
  }
}
