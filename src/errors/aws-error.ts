/**
 * The base of every error Coffer answers a client with. Only protocol/ turns one into a wire body
 * (`{"__type", "message"}`) and a status; everything else throws and matches by class.
 */
export class AwsError extends Error {
  /** The AWS error code, sent as `__type`. */
  readonly code: string;
  /** HTTP status on the wire. KMS answers 400 for every client fault (see reference §1.1). */
  readonly status: number;

  constructor(code: string, message: string, status = 400) {
    super(message);
    this.code = code;
    this.status = status;
    this.name = code;
  }

  get fault(): 'client' | 'server' {
    return this.status >= 500 ? 'server' : 'client';
  }
}
