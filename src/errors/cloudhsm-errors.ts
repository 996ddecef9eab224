/** CloudHSMv2's errors (cloudhsmv2-service-2.json), with AWS's names; each carries a message. */
import { AwsError } from './aws-error.ts';

/** Bad input: a model constraint, a rule of the operation, a quota, a state that does not allow the call. */
export class CloudHsmInvalidRequestException extends AwsError {
  constructor(m: string) { super('CloudHsmInvalidRequestException', m); }
}
export class CloudHsmResourceNotFoundException extends AwsError {
  constructor(m: string) { super('CloudHsmResourceNotFoundException', m); }
}
export class CloudHsmAccessDeniedException extends AwsError {
  constructor(m: string) { super('CloudHsmAccessDeniedException', m); }
}
export class CloudHsmTagException extends AwsError {
  constructor(m: string) { super('CloudHsmTagException', m); }
}
export class CloudHsmResourceLimitExceededException extends AwsError {
  constructor(m: string) { super('CloudHsmResourceLimitExceededException', m); }
}
/** The fault (5xx, which SDKs retry): PKCS#11 failures, a missing HSM module, anything unexpected. */
export class CloudHsmInternalFailureException extends AwsError {
  constructor(m = 'An internal error occurred.') { super('CloudHsmInternalFailureException', m, 500); }
}
