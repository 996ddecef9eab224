/**
 * The errors IAM and STS answer (AWS Query protocol). The code is the wire `<Code>` (the model's
 * `error.code`, e.g. `NoSuchEntity` for NoSuchEntityException), the status its httpStatusCode.
 * Classes are named after the code to stay apart from the KMS classes of the same AWS names.
 */
import { AwsError } from './aws-error.ts';

export class NoSuchEntityError extends AwsError {
  constructor(m: string) { super('NoSuchEntity', m, 404); }
}
export class EntityAlreadyExistsError extends AwsError {
  constructor(m: string) { super('EntityAlreadyExists', m, 409); }
}
export class DeleteConflictError extends AwsError {
  constructor(m: string) { super('DeleteConflict', m, 409); }
}
export class LimitExceededError extends AwsError {
  constructor(m: string) { super('LimitExceeded', m, 409); }
}
export class MalformedPolicyDocumentError extends AwsError {
  constructor(m: string) { super('MalformedPolicyDocument', m, 400); }
}
export class InvalidInputError extends AwsError {
  constructor(m: string) { super('InvalidInput', m, 400); }
}
export class PolicyNotAttachableError extends AwsError {
  constructor(m: string) { super('PolicyNotAttachable', m, 400); }
}
/** Model-constraint violations and semantic parameter errors (IAM and STS). */
export class ValidationError extends AwsError {
  constructor(m: string) { super('ValidationError', m, 400); }
}
export class AccessDeniedError extends AwsError {
  constructor(m: string) { super('AccessDenied', m, 403); }
}
/** An Action this endpoint does not know (or the wrong Version). */
export class InvalidActionError extends AwsError {
  constructor(m: string) { super('InvalidAction', m, 400); }
}
/** A form body that cannot be decoded. */
export class MalformedQueryStringError extends AwsError {
  constructor(m: string) { super('MalformedQueryString', m, 400); }
}
export class ServiceFailureError extends AwsError {
  constructor(m = 'An internal error occurred.') { super('ServiceFailure', m, 500); }
}
