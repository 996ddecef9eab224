/**
 * A database written by a newer Coffer: its schema version is above the one this code knows, so
 * this Coffer would misread or damage it and refuses to open it. The message says what to do.
 */
export class SchemaTooNew extends Error {
  override readonly name = 'SchemaTooNew';
  constructor(what: string, found: number, known: number) {
    super(`${what} schema version ${found} is newer than this Coffer (${known}): upgrade Coffer`);
  }
}
