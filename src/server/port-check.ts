/**
 * Start-up's first check: the port can be listened on. Done before the data folder is touched, so
 * a start that cannot serve (another process holds the port) says so and leaves nothing behind: no
 * folder made, no credentials generated that nobody was told about.
 */
import { createServer } from 'node:net';

const WHY: Readonly<Record<string, string>> = {
  EADDRINUSE: 'is in use by another process',
  EACCES: 'may not be listened on by this user',
  EADDRNOTAVAIL: 'is not an address of this machine',
};

/** Resolves when `host:port` can be listened on (and is free again); rejects with a message naming COFFER_HOST / COFFER_PORT. */
export function checkPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((ok, fail) => {
    const probe = createServer();
    probe.once('error', (e: NodeJS.ErrnoException) => {
      const why = WHY[e.code ?? ''] ?? `cannot be listened on (${e.code ?? e.message})`;
      fail(new Error(`${host}:${port} (COFFER_HOST, COFFER_PORT) ${why}; the data folder was not touched`));
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => ok()));
  });
}
