/** CloudTrail's errors for LookupEvents (cloudtrail-service-2.json), with AWS's names. */
import { AwsError } from './aws-error.ts';

export class InvalidLookupAttributesException extends AwsError {
  constructor(m: string) { super('InvalidLookupAttributesException', m); }
}
export class InvalidTimeRangeException extends AwsError {
  constructor(m: string) { super('InvalidTimeRangeException', m); }
}
export class InvalidMaxResultsException extends AwsError {
  constructor(m: string) { super('InvalidMaxResultsException', m); }
}
export class InvalidNextTokenException extends AwsError {
  constructor(m: string) { super('InvalidNextTokenException', m); }
}
export class InvalidEventCategoryException extends AwsError {
  constructor(m: string) { super('InvalidEventCategoryException', m); }
}
