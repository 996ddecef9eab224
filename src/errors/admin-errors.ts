/**
 * The errors of Coffer's admin API (CofferAdminService, operations/coffer/admin.ts) beyond the
 * common ones (ValidationException, AccessDeniedException): named as AWS names the same fault.
 */
import { AwsError } from './aws-error.ts';

/** The account exists already (AWS's JSON APIs' name for IAM's EntityAlreadyExists). */
export class EntityAlreadyExistsException extends AwsError {
  constructor(m: string) { super('EntityAlreadyExistsException', m); }
}
