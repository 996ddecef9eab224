/**
 * A fault of the storage beneath Coffer: a full disk, an I/O error, a damaged page, or a stored
 * record that no longer reads as what was written. Never the client's doing, so it is deliberately
 * not an AwsError: every protocol answers it as its internal error (KMSInternalException, a 5xx
 * the SDKs retry) and logs it with its cause, and /health reports it.
 */
export class StorageFault extends Error {
  override readonly name = 'StorageFault';
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
  }
}

/** The SQLite result codes that mean the storage failed (not a conflict or a programming error). */
const FAULT_CODES = ['SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_READONLY', 'SQLITE_CANTOPEN', 'SQLITE_NOMEM'] as const;

/** Whether an error (or what it wraps) is a storage fault: a StorageFault, or an SQLite error of the codes above. */
export function isStorageFault(e: unknown): boolean {
  return e instanceof StorageFault || (e instanceof Error && e.cause instanceof StorageFault) || sqliteFaultCode(e) !== undefined;
}

/** The SQLite result code of a storage fault (what a failing disk raises), or undefined. */
export function sqliteFaultCode(e: unknown): string | undefined {
  for (let x = e, depth = 0; x instanceof Error && depth < 4; x = x.cause, depth++) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === 'string' && FAULT_CODES.some((c) => code === c || code.startsWith(`${c}_`))) return code;
  }
  return undefined;
}

/** A short description for logs and /health: the SQLite code and message, never data. */
export function describeFault(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ${e.message}` : e.message;
}
