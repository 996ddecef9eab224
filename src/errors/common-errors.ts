/**
 * The un-modeled errors every AWS JSON 1.1 service answers (reference §1.2): authentication,
 * serialization, validation and routing. Status codes follow observed AWS behaviour.
 */
import { AwsError } from './aws-error.ts';

export class ValidationException extends AwsError {
  constructor(m: string) { super('ValidationException', m); }
}
export class SerializationException extends AwsError {
  constructor(m: string) { super('SerializationException', m); }
}
export class UnknownOperationException extends AwsError {
  constructor(m = '') { super('UnknownOperationException', m); }
}
export class UnrecognizedClientException extends AwsError {
  constructor() { super('UnrecognizedClientException', 'The security token included in the request is invalid.'); }
}
export class InvalidSignatureException extends AwsError {
  constructor(m: string) { super('InvalidSignatureException', m); }
}
export class IncompleteSignatureException extends AwsError {
  constructor(m: string) { super('IncompleteSignatureException', m); }
}
export class MissingAuthenticationTokenException extends AwsError {
  constructor() { super('MissingAuthenticationTokenException', 'Missing Authentication Token', 403); }
}
export class AccessDeniedException extends AwsError {
  constructor(m: string) { super('AccessDeniedException', m); }
}
/**
 * Not in the KMS model, but what KMS answers (400, no message) to CreateAlias, UpdateAlias and
 * DeleteAlias of a name under `alias/aws/`, which only AWS may manage.
 */
export class NotAuthorizedException extends AwsError {
  constructor(m = '') { super('NotAuthorizedException', m); }
}
/** Not an AWS name: the HTTP layer's answer to a body over the limit (413, like API Gateway's). */
export class RequestEntityTooLargeException extends AwsError {
  constructor(m: string) { super('RequestEntityTooLargeException', m, 413); }
}
export class UnsupportedMediaTypeException extends AwsError {
  constructor(m: string) { super('UnsupportedMediaTypeException', m, 415); }
}
/** Temporary (STS session) credentials past their expiration. The Query protocol answers it as `ExpiredToken`. */
export class ExpiredTokenException extends AwsError {
  constructor() { super('ExpiredTokenException', 'The security token included in the request is expired'); }
}
/**
 * Too many requests: a request quota of the caller's account and region is used up, or the server
 * is saturated and sheds load before doing any work. 400, as AWS answers it; SDKs retry it with
 * back-off. The Query protocol (IAM, STS) answers it as `Throttling`.
 */
export class ThrottlingException extends AwsError {
  constructor(m = 'Rate exceeded') { super('ThrottlingException', m); }
}
