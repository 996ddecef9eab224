/**
 * Overload, connection floods, request quotas and graceful drain (issue: hardening, parts 6 and
 * 7), against real server processes configured with small limits so that what happens is decided
 * by counts, not by timing: the connection cap under a flood of idle connections with a low
 * open-file limit, the header and request timeouts, admission control (requests lined up while
 * the server is stopped with SIGSTOP, so they arrive in one event-loop turn), AWS's request quotas
 * per account and region, an SDK retrying a throttled call, and SIGTERM under keep-alive load.
 * Performance figures come from `npm run bench`, not from here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateKeyCommand, DescribeKeyCommand, EncryptCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { newDataDir, REPO_ROOT, databaseFor, removeDataDir, rejectsWith, startCoffer, type Coffer, type Credentials } from './harness.ts';
import { closeAllConnections, metric, openConnections, RawConnection, signedRequest, sleep, until, type Outcome, type RawResponse } from './raw-http.ts';
import { cofferArgs } from '../../scripts/server-command.ts';

const THROTTLED_JSON = '{"__type":"ThrottlingException","message":"Rate exceeded"}';

async function withServer<T>(opts: Parameters<typeof startCoffer>[0], run: (c: Coffer) => Promise<T>): Promise<T> {
  const coffer = await startCoffer(opts);
  try {
    return await run(coffer);
  } finally {
    closeAllConnections();
    // A server that does not drain (the bug this file is about) must not hang the suite.
    const stopped = await Promise.race([coffer.stop(), sleep(30_000).then(() => 'hung' as const)]);
    if (stopped === 'hung') await coffer.kill9();
    removeDataDir(coffer.dataDir);
  }
}

const metricsText = async (c: Coffer): Promise<string> => (await fetch(`${c.endpoint}/metrics`)).text();
const isResponse = (o: Outcome): o is RawResponse => typeof o === 'object';

async function encryptRequest(c: Coffer, keyId: string, extra: { tamper?: boolean } = {}): Promise<string> {
  return signedRequest({ port: c.port, credentials: c.credentials, target: 'TrentService.Encrypt', body: JSON.stringify({ KeyId: keyId, Plaintext: 'aGVsbG8=' }), ...extra });
}

async function newKey(c: Coffer): Promise<string> {
  const out = await c.client().send(new CreateKeyCommand({}));
  return out.KeyMetadata?.KeyId ?? '';
}

test('start-up refuses a connection cap that does not fit in the open-file limit, naming COFFER_MAX_CONNECTIONS', async () => {
  const err = await startCoffer({ openFileLimit: 512, env: { COFFER_MAX_CONNECTIONS: '512' } }).then(
    async (c) => { await c.stop(); removeDataDir(c.dataDir); return undefined; },
    (e: unknown) => e as Error,
  );
  assert.ok(err, 'the server must not start');
  assert.match(err.message, /Configuration error: COFFER_MAX_CONNECTIONS \(512\) must leave 64 of the open-file limit \(ulimit -n: 512\)/);
});

test('more idle connections than the cap (and than the open-file limit allows) do not lock out a fresh client', async () => {
  // The case in small: ~1000 idle connections at a file limit of 1024 locked every client
  // out until the header timeout. Here: 150 silent connections at a limit of 128, a header timeout
  // of a minute, so that only the cap can let a fresh client in. The limit is lowered once the server
  // listens: start-up opens many module files at once, and would itself fail at 128 now and then.
  await withServer({ openFileLimitAfterStart: 128, env: { COFFER_MAX_CONNECTIONS: '32', COFFER_HEADERS_TIMEOUT_S: '60', COFFER_REQUEST_TIMEOUT_S: '60' } }, async (c) => {
    const keyId = await newKey(c);
    const flood: RawConnection[] = [];
    for (let i = 0; i < 150; i++) flood.push(...await openConnections(c.port, 1));
    const health = await fetch(`${c.endpoint}/health`, { signal: AbortSignal.timeout(20_000) });
    assert.equal(health.status, 200);
    const client = new KMSClient({ endpoint: c.endpoint, region: 'us-east-1', credentials: c.credentials, maxAttempts: 1 });
    try {
      const out = await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('fresh client') }), { abortSignal: AbortSignal.timeout(20_000) });
      assert.ok(out.CiphertextBlob && out.CiphertextBlob.length > 0);
    } finally {
      client.destroy();
    }
    // The server closed the idle ones, oldest first, with a FIN: none was reset.
    assert.ok(await until(() => flood.filter((f) => f.ended).length >= 150 - 32, 10_000), `closed: ${flood.filter((f) => f.ended).length}`);
    assert.equal(flood.filter((f) => f.reset).length, 0, 'no idle connection was reset');
    assert.equal(flood.slice(-16).filter((f) => f.ended).length, 0, 'the most recent connections are kept');
    const m = await metricsText(c);
    assert.ok(metric(m, 'coffer_http_connections_evicted_total') >= 150 - 32, m);
    assert.ok(metric(m, 'coffer_http_connections') <= 32 + 2, 'the cap, plus half-closed connections (a sixteenth of it) waiting for their clients');
    for (const f of flood) f.close();
  });
});

test('a silent connection, a header trickle and a body trickle are answered 408 and half-closed by the timeouts; a kept-alive connection is not', async () => {
  await withServer({ env: { COFFER_HEADERS_TIMEOUT_S: '1', COFFER_REQUEST_TIMEOUT_S: '2' } }, async (c) => {
    const [silent, headers, body, kept] = await openConnections(c.port, 4) as [RawConnection, RawConnection, RawConnection, RawConnection];
    const trickle = (conn: RawConnection, text: string, everyMs: number): NodeJS.Timeout => {
      let i = 0;
      const t = setInterval(() => { if (conn.usable && i < text.length) conn.socket.write(text[i++] ?? ''); }, everyMs);
      return t;
    };
    const request = await encryptRequest(c, 'alias/none');
    const split = request.indexOf('\r\n\r\n') + 4;
    // Kept-alive: one request answered, then idle longer than the header timeout.
    const first = await kept.send(request);
    assert.ok(isResponse(first) && first.status === 400, 'answered (NotFoundException)');
    const outcomes = [silent.next(), headers.next(), body.next()];
    const timers = [trickle(headers, request, 100)];
    body.socket.write(request.slice(0, split + 2));
    timers.push(trickle(body, request.slice(split + 2), 300));
    const answers = await Promise.race([Promise.all(outcomes), sleep(15_000).then(() => 'too slow' as const)]);
    for (const t of timers) clearInterval(t);
    if (answers === 'too slow') assert.fail('the timeouts must cut slow clients within seconds, not the old 66 s');
    for (const [name, a] of [['silent', answers[0]], ['header trickle', answers[1]], ['body trickle', answers[2]]] as const) {
      assert.ok(a !== undefined && isResponse(a), `${name}: ${String(a)}`);
      assert.equal(a.status, 408, name);
      assert.equal(a.headers['content-type'], 'application/x-amz-json-1.1', name);
      assert.equal(a.headers.connection, 'close', name);
      assert.deepEqual(JSON.parse(a.body), { __type: 'RequestTimeoutException', message: 'The request was not received in time.' }, name);
    }
    assert.ok(await until(() => silent.ended && headers.ended && body.ended, 5000), 'half-closed');
    assert.deepEqual([silent.reset, headers.reset, body.reset], [false, false, false], 'a FIN, never a reset');
    const again = await kept.send(request);
    assert.ok(isResponse(again) && again.status === 400, 'the kept-alive connection still works after 2 s idle');
    for (const x of [silent, headers, body, kept]) x.close();
  });
});

test('bytes that are not HTTP/1.1 get a 400 in the JSON error shape and a half-close, not a bare status line and a reset', async () => {
  await withServer({}, async (c) => {
    const [conn] = await openConnections(c.port, 1) as [RawConnection];
    const answer = await conn.send('HELLO THERE\r\n\r\nmore bytes after it');
    assert.ok(isResponse(answer), String(answer));
    assert.equal(answer.status, 400);
    assert.equal(answer.headers.connection, 'close');
    assert.deepEqual(JSON.parse(answer.body), { __type: 'SerializationException', message: 'The request is not valid HTTP/1.1.' });
    conn.socket.write('still sending');
    assert.ok(await until(() => conn.ended || conn.reset, 5000));
    assert.equal(conn.reset, false, 'a FIN, not a reset');
  });
});

test('admission control: requests lined up behind a saturated event-loop turn get ThrottlingException at once, before SigV4; admitted ones succeed; /health is answered', async () => {
  await withServer({ env: { COFFER_ADMISSION_QUEUE_MS: '1' } }, async (c) => {
    const keyId = await newKey(c);
    const n = 40;
    const conns = await openConnections(c.port, n + 3);
    // Warm every connection (accepted, JIT warm) with one request each.
    for (const conn of conns.slice(0, n)) assert.ok(isResponse(await conn.send(await encryptRequest(c, keyId))));
    // The last ten do not verify: they come last in the turn, where the shed requests are.
    const tampered = (i: number): boolean => i >= n - 10;
    const requests = await Promise.all(Array.from({ length: n }, (_, i) => encryptRequest(c, keyId, { tamper: tampered(i) })));
    const sts = await signedRequest({ port: c.port, credentials: c.credentials, service: 'sts', contentType: 'application/x-www-form-urlencoded; charset=utf-8', body: 'Action=GetCallerIdentity&Version=2011-06-15' });
    // Stopped, the server cannot read: everything written now arrives in one turn when it continues.
    process.kill(c.pid, 'SIGSTOP');
    let outcomes: Outcome[];
    try {
      const pending = conns.slice(0, n).map((conn, i) => conn.send(requests[i] ?? ''));
      pending.push((conns[n] as RawConnection).send(sts));
      pending.push((conns[n + 1] as RawConnection).send(`GET /health HTTP/1.1\r\nhost: 127.0.0.1:${c.port}\r\n\r\n`));
      await sleep(300);
      process.kill(c.pid, 'SIGCONT');
      outcomes = await Promise.all(pending);
    } finally {
      process.kill(c.pid, 'SIGCONT');
    }
    const answers = outcomes.filter(isResponse);
    assert.equal(answers.length, outcomes.length, 'every request is answered');
    const kms = answers.slice(0, n);
    const summary = kms.map((a) => (a.status === 200 ? 'ok' : a.body === THROTTLED_JSON ? 'throttled' : a.body.slice(0, 40))).join(', ');
    const throttled = kms.map((a, i) => ({ a, i })).filter((x) => x.a.body === THROTTLED_JSON);
    assert.ok(throttled.length > 0, `some requests were shed: ${summary}`);
    for (const { a } of throttled) {
      assert.equal(a.status, 400);
      assert.equal(a.headers['content-type'], 'application/x-amz-json-1.1');
      assert.notEqual(a.headers.connection, 'close', 'a throttled connection stays usable');
    }
    assert.ok(throttled.some((x) => tampered(x.i)), `a request whose signature does not verify was shed too: shedding comes before SigV4 (${summary})`);
    const admitted = kms.filter((a) => a.status === 200);
    assert.ok(admitted.length > 0, `the first requests of the turn were admitted and succeeded: ${summary}`);
    assert.ok(kms.every((a) => a.status === 200 || a.body === THROTTLED_JSON || /InvalidSignatureException/.test(a.body)), `nothing else: ${summary}`);
    const stsAnswer = answers[n] as RawResponse;
    assert.equal(stsAnswer.status, 400, stsAnswer.body);
    assert.match(stsAnswer.body, /^<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/"><Error><Type>Sender<\/Type><Code>Throttling<\/Code><Message>Rate exceeded<\/Message>/);
    assert.equal((answers[n + 1] as RawResponse).status, 200, '/health is never shed');
    // The throttled connections keep working once the turn is over.
    const after = await (conns[1] as RawConnection).send(await encryptRequest(c, keyId));
    assert.ok(isResponse(after) && after.status === 200, 'after the burst');
    const m = await metricsText(c);
    assert.ok(metric(m, 'coffer_admission_shed_total') >= throttled.length + 1);
    assert.ok(metric(m, 'coffer_requests_total{operation="unknown",error="ThrottlingException"}') >= throttled.length, 'throttled calls are counted');
    for (const x of conns) x.close();
  });
});

test('request quotas: the (N+1)th CreateKey within a second is ThrottlingException, per account and per region, and audited', async () => {
  const OTHER = '444455556666';
  const dataDir = newDataDir();
  // The CLI writes to the storage the server will use: its PostgreSQL database when the suites run on it.
  const databaseUrl = await databaseFor(dataDir);
  const made = spawnSync(process.execPath, [...cofferArgs('cli'), 'accounts', 'create', '--offline', OTHER], {
    cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', COFFER_DATA_DIR: dataDir, ...(databaseUrl !== undefined ? { COFFER_DATABASE_URL: databaseUrl } : {}) }, encoding: 'utf8',
  });
  assert.equal(made.status, 0, made.stderr);
  const other = JSON.parse(readFileSync(join(dataDir, 'accounts', OTHER, 'root-credentials.json'), 'utf8')) as Credentials;
  await withServer({ dataDir, env: { COFFER_QUOTA_CREATE_KEY_RPS: '2' } }, async (c) => {
    const a = c.client();
    // Three at once: two tokens in the bucket, the third call finds it empty.
    const three = await Promise.allSettled([0, 1, 2].map(() => a.send(new CreateKeyCommand({}))));
    const rejected = three.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(three.filter((r) => r.status === 'fulfilled').length, 2, 'N = 2 succeed');
    assert.equal(rejected.length, 1);
    const e = rejected[0]?.reason as Error & { $metadata?: { httpStatusCode?: number }; $retryable?: { throttling?: boolean } };
    assert.equal(e.name, 'ThrottlingException');
    assert.equal(e.message, 'Rate exceeded');
    assert.equal(e.$metadata?.httpStatusCode, 400);
    await rejectsWith(a.send(new CreateKeyCommand({})), 'ThrottlingException');
    // Another account, and the same account in another region, have their own buckets.
    assert.ok((await c.client('us-east-1', { accessKeyId: other.accessKeyId, secretAccessKey: other.secretAccessKey }).send(new CreateKeyCommand({}))).KeyMetadata);
    assert.ok((await c.client('eu-west-1').send(new CreateKeyCommand({}))).KeyMetadata);
    // Other quotas are independent (and none is configured here).
    for (let i = 0; i < 10; i++) await a.send(new ListKeysCommand({}));
    // The throttled call is an authenticated call: audited with its error like any other.
    const lookup = await c.raw({
      body: JSON.stringify({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'CreateKey' }], MaxResults: 50 }), service: 'cloudtrail',
      headers: { 'x-amz-target': 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents', 'content-type': 'application/x-amz-json-1.1' },
    });
    assert.equal(lookup.status, 200, lookup.body);
    const events = (JSON.parse(lookup.body) as { Events: { CloudTrailEvent: string }[] }).Events.map((x) => JSON.parse(x.CloudTrailEvent) as { errorCode?: string; awsRegion: string });
    assert.ok(events.some((x) => x.errorCode === 'ThrottlingException' && x.awsRegion === 'us-east-1'), 'a CreateKey record with errorCode ThrottlingException');
  });
});

test('an SDK client with retries rides out a quota: its throttled calls are retried with back-off and succeed', async () => {
  await withServer({ env: { COFFER_QUOTA_MANAGEMENT_RPS: 'aws,DescribeKey=1' } }, async (c) => {
    const keyId = await newKey(c);
    const client = new KMSClient({ endpoint: c.endpoint, region: 'us-east-1', credentials: c.credentials, maxAttempts: 10 });
    try {
      const results = await Promise.all([0, 1, 2].map(() => client.send(new DescribeKeyCommand({ KeyId: keyId }))));
      for (const r of results) assert.equal(r.KeyMetadata?.KeyId, keyId);
      const retries = results.reduce((n, r) => n + (r.$metadata.attempts ?? 1) - 1, 0);
      assert.ok(retries >= 2, `with one token a second, at least two of three simultaneous calls were throttled first (retries: ${retries})`);
    } finally {
      client.destroy();
    }
    const m = await metricsText(c);
    assert.ok(metric(m, 'coffer_requests_total{operation="DescribeKey",error="ThrottlingException"}') >= 2, m);
  });
});

test('SIGTERM under keep-alive load: every request the server received is answered; none is reset', async () => {
  const coffer = await startCoffer({});
  const stats = { answered: 0, toldToClose: 0, lost: 0, refused: 0 };
  const failures: string[] = [];
  try {
    const keyId = await newKey(coffer);
    const request = await encryptRequest(coffer, keyId);
    let stopping = false;
    // Eight clients in a loop on kept-alive connections, with think times from none to 200 ms
    // (shorter than the drain's one-second grace), and two connections that only sit idle.
    const client = async (thinkMs: number): Promise<void> => {
      let conn = new RawConnection(coffer.port);
      await conn.connected;
      for (;;) {
        if (!conn.usable) {
          // Told to close (Connection: close or FIN) before sending: a new connection, if the server still accepts.
          conn.close();
          conn = new RawConnection(coffer.port);
          try { await conn.connected; } catch { stats.refused++; return; }
          continue;
        }
        const outcome = await conn.send(request);
        if (isResponse(outcome)) {
          if (outcome.status !== 200) failures.push(`status ${outcome.status}: ${outcome.body}`);
          stats.answered++;
          if (conn.toldToClose) stats.toldToClose++;
        } else {
          stats.lost++;
          failures.push(`a request sent on an open connection got no answer: ${outcome}${stopping ? ' (during the drain)' : ''}`);
        }
        if (thinkMs > 0) await sleep(Math.random() * thinkMs);
      }
    };
    const idle = await openConnections(coffer.port, 2);
    for (const i of idle) assert.ok(isResponse(await i.send(request)));
    const clients = [0, 0, 0, 5, 20, 50, 100, 200].map(client);
    await sleep(700);
    stopping = true;
    const code = await Promise.race([coffer.stop(), sleep(30_000).then(() => 'hung' as const)]);
    assert.notEqual(code, 'hung', 'the drain ends');
    await Promise.all(clients);
    assert.equal(code, 0, 'a clean exit');
    assert.deepEqual([idle[0]?.ended, idle[1]?.ended, idle[0]?.reset, idle[1]?.reset], [true, true, false, false], 'idle connections got a FIN, not a reset');
  } finally {
    closeAllConnections();
    await coffer.kill9();
    removeDataDir(coffer.dataDir);
  }
  assert.deepEqual(failures, []);
  assert.ok(stats.toldToClose >= 1, `answers during the drain said Connection: close (${JSON.stringify(stats)})`);
  assert.ok(stats.answered > 8 && stats.refused === 8, JSON.stringify(stats));
});
