import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerStarted, clientErrorResponse } from './client-errors.ts';

const parse = (raw: string) => {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  const [status, ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { status, headers, body };
};

test('a timeout is a 408 RequestTimeoutException in the JSON 1.1 shape, with its length and Connection: close', () => {
  const r = parse(clientErrorResponse('ERR_HTTP_REQUEST_TIMEOUT'));
  assert.equal(r.status, 'HTTP/1.1 408 Request Timeout');
  assert.equal(r.headers['content-type'], 'application/x-amz-json-1.1');
  assert.equal(r.headers.connection, 'close');
  assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.body));
  assert.deepEqual(JSON.parse(r.body), { __type: 'RequestTimeoutException', message: 'The request was not received in time.' });
});

test('headers over the limit are a 431; anything else that is not HTTP a 400 SerializationException', () => {
  assert.match(clientErrorResponse('HPE_HEADER_OVERFLOW'), /^HTTP\/1\.1 431 /);
  for (const code of ['HPE_INVALID_METHOD', 'HPE_INVALID_CONSTANT', undefined]) {
    const r = parse(clientErrorResponse(code));
    assert.equal(r.status, 'HTTP/1.1 400 Bad Request', String(code));
    assert.equal((JSON.parse(r.body) as { __type: string }).__type, 'SerializationException');
  }
});

test('an answer already begun on the socket is seen, so that no second status line is written into it', () => {
  assert.equal(answerStarted({}), false);
  assert.equal(answerStarted({ _httpMessage: { headersSent: false } }), false);
  assert.equal(answerStarted({ _httpMessage: { headersSent: true } }), true);
});
