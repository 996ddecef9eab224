/**
 * The PKCS#11 adapter's own behaviour on SoftHSM2, beyond the port's conformance suite: the
 * attributes the objects really get (design/hsm-tier.md §1.1, read back with C_GetAttributeValue),
 * the session pool's bound, stale handles found again, and load failures that say what is wrong.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { HsmError } from '../../ports/hsm.ts';
import { openSoftHsm, softhsmModulePath, softhsmSkip } from '../../../test/support/softhsm.ts';
import { CKA, CKF_RW_SESSION, CKF_SERIAL_SESSION, CKO, CKU } from './constants.ts';
import { loadPkcs11Library, type Handle, type Pkcs11Library } from './library.ts';
import { openPkcs11Module } from './module.ts';

const skip = softhsmSkip() ?? false;
const SO_PIN = 'so-pin-0000';
const USER_PIN = 'user-pin-1111';

async function token(label: string, clusterKey?: Buffer): Promise<string> {
  const m = await openSoftHsm();
  const info = await m.initToken(label, SO_PIN);
  const admin = await m.openAdmin(info.serial, SO_PIN);
  await admin.initUserPin(USER_PIN);
  if (clusterKey !== undefined) await admin.createTrustedKey(Buffer.from('cc', 'hex'), 'ck', clusterKey);
  await admin.close();
  return info.serial;
}

/** Runs `fn` on a raw pkcs11js session of its own, logged in as the user (no TokenSession may be open on the token). */
function raw<T>(lib: Pkcs11Library, serial: string, fn: (session: Handle) => T): T {
  const s = lib.api.C_OpenSession(lib.slotOf(serial), CKF_RW_SESSION | CKF_SERIAL_SESSION);
  try {
    lib.api.C_Login(s, CKU.USER, USER_PIN);
    return fn(s);
  } finally {
    lib.api.C_CloseSession(s);
  }
}

function attributes(lib: Pkcs11Library, session: Handle, cls: number, id: Buffer): Record<string, boolean> {
  lib.api.C_FindObjectsInit(session, [{ type: CKA.CLASS, value: cls }, { type: CKA.ID, value: id }]);
  const [h] = lib.api.C_FindObjects(session, 1);
  lib.api.C_FindObjectsFinal(session);
  assert.ok(h, `object ${id.toString('hex')} of class ${cls}`);
  const names = ['TOKEN', 'PRIVATE', 'SENSITIVE', 'MODIFIABLE', 'EXTRACTABLE', 'WRAP_WITH_TRUSTED', 'TRUSTED', 'ENCRYPT', 'DECRYPT', 'WRAP', 'UNWRAP', 'SIGN', 'VERIFY'] as const;
  const out: Record<string, boolean> = {};
  for (const name of names) {
    try {
      const [a] = lib.api.C_GetAttributeValue(session, h, [{ type: CKA[name] }]);
      out[name] = a?.value[0] === 1;
    } catch {
      // not an attribute of this class
    }
  }
  return out;
}

test('objects get the attributes of design §1.1: private, sensitive, not modifiable; extractable only under a trusted key; RSA sign only', { skip }, async () => {
  const ck = randomBytes(32);
  const serial = await token(`attrs-${randomBytes(3).toString('hex')}`, ck);
  const m = await openSoftHsm();
  const s = await m.openSession(serial, USER_PIN);
  const aes = randomBytes(8);
  const copy = randomBytes(8);
  const rsa = randomBytes(8);
  await s.generateAes({ id: aes, label: 'aes', usage: ['encrypt', 'decrypt'], wrapWithTrusted: true, extractable: true }, 32);
  await s.unwrap(Buffer.from('cc', 'hex'), await s.wrap(Buffer.from('cc', 'hex'), aes), { id: copy, label: 'copy', usage: ['decrypt'], wrapWithTrusted: true, extractable: false });
  await s.generateRsaPair(rsa, 'rsa', 2048);
  await s.close();
  const lib = await loadPkcs11Library(softhsmModulePath());
  raw(lib, serial, (session) => {
    const base = { TOKEN: true, PRIVATE: true, SENSITIVE: true, MODIFIABLE: false, TRUSTED: false };
    assert.deepEqual(attributes(lib, session, CKO.SECRET_KEY, aes), { ...base, EXTRACTABLE: true, WRAP_WITH_TRUSTED: true, ENCRYPT: true, DECRYPT: true, WRAP: false, UNWRAP: false, SIGN: false, VERIFY: false });
    assert.deepEqual(attributes(lib, session, CKO.SECRET_KEY, copy), { ...base, EXTRACTABLE: false, WRAP_WITH_TRUSTED: true, ENCRYPT: false, DECRYPT: true, WRAP: false, UNWRAP: false, SIGN: false, VERIFY: false });
    const priv = attributes(lib, session, CKO.PRIVATE_KEY, rsa);
    assert.deepEqual([priv.TOKEN, priv.PRIVATE, priv.SENSITIVE, priv.MODIFIABLE, priv.EXTRACTABLE, priv.SIGN, priv.DECRYPT, priv.UNWRAP], [true, true, true, false, false, true, false, false]);
    const trusted = attributes(lib, session, CKO.SECRET_KEY, Buffer.from('cc', 'hex'));
    // Public on SoftHSM: its SO can create nothing else (HSM.md gotcha 12).
    assert.deepEqual(trusted, { TOKEN: true, PRIVATE: false, SENSITIVE: true, MODIFIABLE: false, EXTRACTABLE: false, WRAP_WITH_TRUSTED: false, TRUSTED: true, ENCRYPT: false, DECRYPT: false, WRAP: true, UNWRAP: true, SIGN: false, VERIFY: false });
  });
  await m.close();
});

test('the session pool is bounded: 64 operations in flight over 2 sessions all succeed, with at most 3 sessions open', { skip }, async () => {
  const serial = await token(`pool-${randomBytes(3).toString('hex')}`);
  const lib = await loadPkcs11Library(softhsmModulePath());
  // SoftHSM does not count sessions (CK_TOKEN_INFO.ulSessionCount is "unavailable"): count the calls.
  const api = lib.api;
  const open = api.C_OpenSession;
  const close = api.C_CloseSession;
  let now = 0;
  let most = 0;
  api.C_OpenSession = function (this: unknown, slot, flags) {
    const h = open.call(api, slot, flags);
    most = Math.max(most, ++now);
    return h;
  };
  api.C_CloseSession = function (this: unknown, session) {
    now--;
    close.call(api, session);
  };
  const m = await openPkcs11Module(softhsmModulePath(), { maxSessionsPerToken: 2 });
  try {
    const s = await m.openSession(serial, USER_PIN);
    const id = randomBytes(8);
    await s.generateAes({ id, label: 'k', usage: ['encrypt', 'decrypt'], wrapWithTrusted: true, extractable: true }, 32);
    const iv = randomBytes(12);
    const results = await Promise.all(Array.from({ length: 64 }, (_, i) => s.encryptGcm(id, iv, Buffer.alloc(0), Buffer.from([i]))));
    assert.equal(results.length, 64);
    assert.equal(new Set(results.map((r) => r.toString('hex'))).size, 64);
    assert.equal(most, 3, 'the anchor and 2 operation sessions');
    await s.close();
    assert.equal(now, 0, 'every session closed');
  } finally {
    api.C_OpenSession = open;
    api.C_CloseSession = close;
    await m.close();
  }
});

test('random asks the token whether it is there at most once a second (C_GetTokenInfo reads its file), and again after a failed probe', { skip }, async () => {
  const serial = await token(`probe-${randomBytes(3).toString('hex')}`);
  const lib = await loadPkcs11Library(softhsmModulePath());
  const api = lib.api;
  const info = api.C_GetTokenInfo;
  let asked = 0;
  let failing = false;
  api.C_GetTokenInfo = function (this: unknown, slot) {
    asked++;
    if (failing) throw new Error('CKR_DEVICE_ERROR');
    return info.call(api, slot);
  };
  const m = await openPkcs11Module(softhsmModulePath());
  try {
    const s = await m.openSession(serial, USER_PIN);
    const before = asked;
    for (let i = 0; i < 200; i++) assert.equal((await s.random(32)).length, 32);
    assert.equal(asked - before, 1, '200 random calls, one probe');
    // A probe that fails (here a has() of a missing id, which asks the token) forgets the last answer: random asks again and fails.
    failing = true;
    await assert.rejects(s.has(randomBytes(8)), (e: unknown) => e instanceof HsmError && e.kind === 'device-error');
    await assert.rejects(s.random(8), (e: unknown) => e instanceof HsmError && e.kind === 'device-error');
    failing = false;
    assert.equal((await s.random(8)).length, 8);
    await s.close();
  } finally {
    api.C_GetTokenInfo = info;
    await m.close();
  }
});

test('the event loop keeps turning while the token generates and signs (async calls on the libuv pool)', { skip }, async () => {
  const serial = await token(`loop-${randomBytes(3).toString('hex')}`);
  const m = await openSoftHsm();
  const s = await m.openSession(serial, USER_PIN);
  try {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 2);
    const started = Date.now();
    const ids = Array.from({ length: 4 }, () => randomBytes(8));
    await Promise.all(ids.map((id) => s.generateRsaPair(id, 'loop', 2048)));
    await Promise.all(ids.flatMap((id) => Array.from({ length: 16 }, () => s.signRsaSha256(id, randomBytes(64)))));
    clearInterval(timer);
    const elapsed = Date.now() - started;
    // Synchronous calls would let the timer fire at most once, after the work (HSM.md §c: 0 times in 2-3 s).
    assert.ok(ticks >= Math.min(5, elapsed / 20), `${ticks} timer ticks in ${elapsed} ms`);
  } finally {
    await m.close();
  }
});

test('a cached handle that went stale (the object destroyed and made again elsewhere) is found again', { skip }, async () => {
  const ck = randomBytes(32);
  const serial = await token(`stale-${randomBytes(3).toString('hex')}`, ck);
  const m = await openSoftHsm();
  const id = randomBytes(8);
  const t = { id, label: 'k', usage: ['encrypt', 'decrypt'], wrapWithTrusted: true, extractable: true } as const;
  const a = await m.openSession(serial, USER_PIN);
  await a.generateAes(t, 32);
  const iv = randomBytes(12);
  const first = await a.encryptGcm(id, iv, Buffer.alloc(0), Buffer.from('x')); // caches the handle
  const blob = await a.wrap(Buffer.from('cc', 'hex'), id);
  // Another client (pkcs11js directly, as another process would) replaces the object: same CKA_ID, same key, new handle.
  const lib = await loadPkcs11Library(softhsmModulePath());
  const other = lib.api.C_OpenSession(lib.slotOf(serial), CKF_RW_SESSION | CKF_SERIAL_SESSION);
  lib.api.C_FindObjectsInit(other, [{ type: CKA.ID, value: id }]);
  const found = lib.api.C_FindObjects(other, 10);
  lib.api.C_FindObjectsFinal(other);
  for (const h of found) lib.api.C_DestroyObject(other, h);
  lib.api.C_CloseSession(other);
  await a.unwrap(Buffer.from('cc', 'hex'), blob, t);
  assert.deepEqual(await a.encryptGcm(id, iv, Buffer.alloc(0), Buffer.from('x')), first);
  await m.close();
});

test('a module path that does not load is an HsmError naming the path', { skip }, async () => {
  await assert.rejects(openPkcs11Module('/nonexistent/libnothing.so'), (e: unknown) => e instanceof HsmError && e.message.includes('/nonexistent/libnothing.so'));
});

test("a SoftHSM configuration that does not load is C_Initialize's CKR_GENERAL_ERROR, with a hint (HSM.md gotcha 2)", { skip }, () => {
  const script = `import { openPkcs11Module } from ${JSON.stringify(new URL('./module.ts', import.meta.url).pathname)};
    try { await openPkcs11Module(${JSON.stringify(softhsmModulePath())}); console.log('loaded'); } catch (e) { console.log(e.kind, e.code, e.message); }`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8', env: { ...process.env, SOFTHSM2_CONF: '/nonexistent/softhsm2.conf' }, timeout: 60_000,
  });
  assert.match(r.stdout, /^device-error CKR_GENERAL_ERROR .*SOFTHSM2_CONF/m, r.stdout + r.stderr);
});
