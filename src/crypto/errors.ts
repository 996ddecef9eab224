/**
 * Errors thrown by the crypto layer. They deliberately carry no AWS names: the
 * caller decides how each maps onto the wire (e.g. AuthenticationError and
 * BlobFormatError both become InvalidCiphertextException), so this layer never
 * has to know about the protocol. Messages never contain key material.
 */

/** Base class; also used directly for programming errors (wrong key length, empty input...). */
export class CryptoError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A ciphertext blob that does not parse (short, wrong version, bad key id, ...). */
export class BlobFormatError extends CryptoError {}

/** Authentication failed: GCM tag mismatch, wrong key, wrong AAD/encryption context, malformed wrapped key. */
export class AuthenticationError extends CryptoError {}

/** The root-key seal cannot be opened: wrong passphrase, bad or unsafe key/salt file. */
export class SealError extends CryptoError {}

/** A key that does not parse as what it must be (a peer's public key on another curve, a malformed SPKI, ...). */
export class InvalidKeyError extends CryptoError {}
