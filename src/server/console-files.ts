/**
 * The web console's files (GET /console): the bundle scripts/build.mjs writes to dist/console,
 * read once at start from a fixed allow-list, so no request path ever reaches the file system
 * (no traversal, no directory listing). Every answer carries a strict Content-Security-Policy:
 * scripts, styles and API calls from this origin only, no inline script or style, no framing.
 * Without the bundle (running from source before a build) /console answers 503 saying how to build it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CONSOLE_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "img-src 'self' data:",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

/** Sent with every /console answer, the 404s and 503s included. */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-cache',
};

/** The only files served: URL path → file name in the bundle folder, and its type. */
const FILES: ReadonlyArray<readonly [string, string, string]> = [
  ['/console', 'index.html', 'text/html; charset=utf-8'],
  ['/console/', 'index.html', 'text/html; charset=utf-8'],
  ['/console/app.js', 'app.js', 'text/javascript; charset=utf-8'],
  ['/console/app.css', 'app.css', 'text/css; charset=utf-8'],
];

export interface StaticAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface ConsoleFiles {
  /** The answer for `path` when it is the console's (`/console` or under `/console/`), else undefined (HEAD: Node sends no body). */
  answer(method: string, path: string): StaticAnswer | undefined;
}

const text = (status: number, message: string, extra: Record<string, string> = {}): StaticAnswer =>
  ({ status, headers: { ...CONSOLE_HEADERS, 'content-type': 'text/plain; charset=utf-8', ...extra }, body: Buffer.from(message + '\n') });

export const isConsolePath = (path: string): boolean => path === '/console' || path.startsWith('/console/');

/** Reads the allow-listed files of `dir` (dist/console); a missing bundle is answered 503, not a crash. */
export function loadConsoleFiles(dir: string): ConsoleFiles {
  const files = new Map<string, { body: Buffer; contentType: string }>();
  let missing: string | undefined;
  for (const [urlPath, name, contentType] of FILES) {
    try {
      files.set(urlPath, { body: readFileSync(join(dir, name)), contentType });
    } catch {
      missing ??= name;
    }
  }
  const unavailable = missing === undefined ? undefined
    : text(503, `The web console is not built (dist/console/${missing} is missing): run \`npm run build\`.`);
  return {
    answer(method, path) {
      if (!isConsolePath(path)) return undefined;
      if (method !== 'GET' && method !== 'HEAD') return text(405, 'Method not allowed.', { allow: 'GET, HEAD' });
      if (unavailable !== undefined) return unavailable;
      const f = files.get(path);
      if (f === undefined) return text(404, 'Not found.');
      return { status: 200, headers: { ...CONSOLE_HEADERS, 'content-type': f.contentType }, body: f.body };
    },
  };
}
