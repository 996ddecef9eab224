/**
 * The server's client connections: a cap, so that a flood of connections cannot exhaust the file
 * descriptors the database and logs need, and a least-recently-used order of the idle ones, so
 * that idle connections (kept-alive clients, or a flood that connects and sends nothing) cannot
 * lock out a new client: at the cap a new connection closes the connection idle the longest, and
 * is refused at once only when every connection has a request in progress.
 *
 * Closing here never resets a request the server has: an evicted connection is idle (the server
 * has no unanswered request on it), and a drain lets idle connections send one more request
 * (answered with `Connection: close`) for a grace period before it half-closes them.
 */

/** What the tracker needs of a socket (net.Socket in the server; fakes in unit tests). */
export interface ConnectionSocket {
  readonly destroyed: boolean;
  destroy(): void;
  /** Half-close: sends FIN, keeps reading. */
  end(): void;
}

export interface ConnectionStats {
  readonly open: number;
  /** Connections with a request in progress. */
  readonly busy: number;
  /** Idle connections closed to admit a new one at the cap, since start. */
  readonly evicted: number;
  /** New connections refused at the cap because every connection was busy, since start. */
  readonly refused: number;
}

/** How long a half-closed connection may take to close its side before it is destroyed. */
export const LINGER_MS = 2000;

export class Connections<S extends ConnectionSocket> {
  /** Idle connections, least recently used first (a Map keeps insertion order). */
  readonly #idle = new Map<S, true>();
  /** Connections with requests in progress → how many (more than one only when pipelined). */
  readonly #busy = new Map<S, number>();
  /** Half-closed by the server (drain or a client error), waiting for the client's side. */
  readonly #closing = new Set<S>();
  #evicted = 0;
  #refused = 0;
  #draining = false;
  #graceEnded = false;

  /** Half-closed connections held at most (their descriptors come on top of the cap's). */
  readonly maxClosing: number;

  constructor(
    readonly cap: number,
    private readonly schedule: (fn: () => void, ms: number) => { unref(): unknown } = setTimeout,
  ) {
    this.maxClosing = Math.max(1, Math.floor(cap / 16));
  }

  /**
   * A new connection: admitted, or refused and destroyed. At the cap it half-closes the connection
   * idle the longest, which then holds its descriptor until its client closes its side (see
   * `closeGracefully`); only when every connection has a request in progress is it refused.
   */
  open(socket: S): boolean {
    if (this.#idle.size + this.#busy.size >= this.cap) {
      const idle = first(this.#idle);
      if (idle === undefined) {
        this.#refused++;
        socket.destroy();
        return false;
      }
      // Idle: the server holds no request of it. A FIN rather than a reset, so that a request the
      // client sends at this very moment is dropped with the connection, not answered by a reset.
      this.#evicted++;
      this.closeGracefully(idle);
    }
    this.#idle.set(socket, true);
    return true;
  }

  /** Whether the server has half-closed this connection: a request still arriving on it is not answered. */
  isClosing(socket: S): boolean {
    return this.#closing.has(socket);
  }

  requestStarted(socket: S): void {
    const n = this.#busy.get(socket);
    if (n !== undefined) {
      this.#busy.set(socket, n + 1);
    } else if (this.#idle.delete(socket)) {
      this.#busy.set(socket, 1);
    }
  }

  requestEnded(socket: S): void {
    const n = this.#busy.get(socket);
    if (n === undefined) return;
    if (n > 1) {
      this.#busy.set(socket, n - 1);
      return;
    }
    this.#busy.delete(socket);
    if (socket.destroyed) return;
    this.#idle.set(socket, true); // most recently used: last
    // Answers sent in a drain say `Connection: close` and Node closes the connection after them;
    // one whose answer was begun before the drain is half-closed here once the grace is over.
    if (this.#graceEnded) this.closeGracefully(socket);
  }

  closed(socket: S): void {
    this.#idle.delete(socket);
    this.#busy.delete(socket);
    this.#closing.delete(socket);
  }

  /**
   * Half-closes a connection (FIN) and destroys it when the client has closed its side, or after
   * LINGER_MS: destroying a socket with unread data would answer the client with a reset.
   */
  closeGracefully(socket: S): void {
    if (socket.destroyed || this.#closing.has(socket)) return;
    this.#idle.delete(socket);
    this.#busy.delete(socket);
    // Half-closed connections are bounded too (a flood of clients that never close their side).
    const oldest = this.#closing.size >= this.maxClosing ? first(this.#closing) : undefined;
    if (oldest !== undefined) {
      this.#closing.delete(oldest);
      oldest.destroy();
    }
    this.#closing.add(socket);
    socket.end();
    this.schedule(() => { if (!socket.destroyed) socket.destroy(); }, LINGER_MS).unref();
  }

  /**
   * Shutdown: connections with a request in progress close after its answer (the server sends
   * it with `Connection: close`); idle ones stay open for `graceMs`, so that a request a client is
   * sending right now is answered (also with `Connection: close`), and are then half-closed.
   */
  drain(graceMs: number): void {
    if (this.#draining) return;
    this.#draining = true;
    this.schedule(() => {
      this.#graceEnded = true;
      for (const socket of [...this.#idle.keys()]) this.closeGracefully(socket);
    }, graceMs).unref();
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** The last resort of a drain that took too long: every connection is destroyed. */
  destroyAll(): void {
    for (const s of [...this.#idle.keys(), ...this.#busy.keys(), ...this.#closing]) if (!s.destroyed) s.destroy();
  }

  stats(): ConnectionStats {
    return { open: this.#idle.size + this.#busy.size + this.#closing.size, busy: this.#busy.size, evicted: this.#evicted, refused: this.#refused };
  }
}

const first = <T>(items: Map<T, unknown> | Set<T>): T | undefined => {
  const it = items.keys().next();
  return it.done === true ? undefined : it.value;
};
