/** One class per modeled KMS error shape, named exactly as AWS names it (kms-service-2.json). */
import { AwsError } from './aws-error.ts';

export class AlreadyExistsException extends AwsError {
  constructor(m: string) { super('AlreadyExistsException', m); }
}
export class ConflictException extends AwsError {
  constructor(m: string) { super('ConflictException', m); }
}
export class DependencyTimeoutException extends AwsError {
  constructor(m: string) { super('DependencyTimeoutException', m, 503); }
}
export class DisabledException extends AwsError {
  constructor(m: string) { super('DisabledException', m); }
}
export class DryRunOperationException extends AwsError {
  constructor() { super('DryRunOperationException', 'The request would have succeeded, but the DryRun option is set.'); }
}
export class IncorrectKeyException extends AwsError {
  constructor() { super('IncorrectKeyException', 'The key ID in the request does not identify a CMK that can perform this operation.'); }
}
export class InvalidAliasNameException extends AwsError {
  constructor(m: string) { super('InvalidAliasNameException', m); }
}
export class InvalidArnException extends AwsError {
  constructor(m: string) { super('InvalidArnException', m); }
}
/** Every failure to authenticate a ciphertext is this, with no message: nothing to learn from it. */
export class InvalidCiphertextException extends AwsError {
  constructor() { super('InvalidCiphertextException', ''); }
}
export class InvalidGrantTokenException extends AwsError {
  constructor(m: string) { super('InvalidGrantTokenException', m); }
}
export class InvalidKeyUsageException extends AwsError {
  constructor(m: string) { super('InvalidKeyUsageException', m); }
}
export class InvalidMarkerException extends AwsError {
  constructor(m: string) { super('InvalidMarkerException', m); }
}
export class KMSInternalException extends AwsError {
  constructor(m = 'An internal error occurred.') { super('KMSInternalException', m, 500); }
}
export class KMSInvalidStateException extends AwsError {
  constructor(m: string) { super('KMSInvalidStateException', m); }
}
export class LimitExceededException extends AwsError {
  constructor(m: string) { super('LimitExceededException', m); }
}
export class MalformedPolicyDocumentException extends AwsError {
  constructor(m: string) { super('MalformedPolicyDocumentException', m); }
}
export class NotFoundException extends AwsError {
  constructor(m: string) { super('NotFoundException', m); }
}
export class TagException extends AwsError {
  constructor(m: string) { super('TagException', m); }
}
export class UnsupportedOperationException extends AwsError {
  constructor(m: string) { super('UnsupportedOperationException', m); }
}
export class CustomKeyStoreNotFoundException extends AwsError {
  constructor(m: string) { super('CustomKeyStoreNotFoundException', m); }
}
export class InvalidGrantIdException extends AwsError {
  constructor(m: string) { super('InvalidGrantIdException', m); }
}
/** Verify found the signature invalid: no message, as AWS answers. */
export class KMSInvalidSignatureException extends AwsError {
  constructor() { super('KMSInvalidSignatureException', ''); }
}
/** VerifyMac found the MAC invalid: no message, as AWS answers. */
export class KMSInvalidMacException extends AwsError {
  constructor() { super('KMSInvalidMacException', ''); }
}
export class ExpiredImportTokenException extends AwsError {
  constructor(m: string) { super('ExpiredImportTokenException', m); }
}
export class InvalidImportTokenException extends AwsError {
  constructor(m: string) { super('InvalidImportTokenException', m); }
}
export class IncorrectKeyMaterialException extends AwsError {
  constructor(m: string) { super('IncorrectKeyMaterialException', m); }
}
export class CustomKeyStoreNameInUseException extends AwsError {
  constructor(m: string) { super('CustomKeyStoreNameInUseException', m); }
}
export class CustomKeyStoreInvalidStateException extends AwsError {
  constructor(m: string) { super('CustomKeyStoreInvalidStateException', m); }
}
export class CustomKeyStoreHasCMKsException extends AwsError {
  constructor(m: string) { super('CustomKeyStoreHasCMKsException', m); }
}
export class CloudHsmClusterNotFoundException extends AwsError {
  constructor(m: string) { super('CloudHsmClusterNotFoundException', m); }
}
export class CloudHsmClusterNotActiveException extends AwsError {
  constructor(m: string) { super('CloudHsmClusterNotActiveException', m); }
}
export class CloudHsmClusterInvalidConfigurationException extends AwsError {
  constructor(m: string) { super('CloudHsmClusterInvalidConfigurationException', m); }
}
export class CloudHsmClusterInUseException extends AwsError {
  constructor(m: string) { super('CloudHsmClusterInUseException', m); }
}
export class CloudHsmClusterNotRelatedException extends AwsError {
  constructor(m: string) { super('CloudHsmClusterNotRelatedException', m); }
}
export class IncorrectTrustAnchorException extends AwsError {
  constructor(m: string) { super('IncorrectTrustAnchorException', m); }
}
