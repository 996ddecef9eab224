/**
 * The answer to a client whose bytes never became a request: too slow (the headers or request
 * timeout: 408) or not HTTP/1.1 (400; 431 for headers over Node's limit). Node's default writes a
 * bare status line and destroys the socket at once, which resets the connection when the client is
 * still sending; the server instead answers in the JSON 1.1 error shape with `Connection: close`
 * and half-closes (connections.ts `closeGracefully`).
 */
import { JSON_11 } from '../protocol/aws-json.ts';

const ANSWERS: Readonly<Record<string, readonly [number, string, string, string]>> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'RequestTimeoutException', 'The request was not received in time.'],
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'RequestHeaderFieldsTooLargeException', 'The request headers are too large.'],
};
const BAD_REQUEST = [400, 'Bad Request', 'SerializationException', 'The request is not valid HTTP/1.1.'] as const;

/** The raw HTTP answer (status line, headers, JSON body) for a client error with Node's `code`. */
export function clientErrorResponse(code: string | undefined): string {
  const [status, reason, type, message] = (code !== undefined ? ANSWERS[code] : undefined) ?? BAD_REQUEST;
  const body = JSON.stringify({ __type: type, message });
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${JSON_11}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** Whether Node has begun writing an answer on this socket (then nothing more may be written). */
export function answerStarted(socket: object): boolean {
  const message: unknown = Reflect.get(socket, '_httpMessage');
  return typeof message === 'object' && message !== null && Reflect.get(message, 'headersSent') === true;
}
