/**
 * Crypto users' keys end to end on SoftHSM2 (design/hsm-tier.md §1.2, §3.2, §3.4, §3.5): a real
 * Coffer process whose 2-HSM cluster lives in SoftHSM tokens, driven by `coffer hsm key …` and
 * `coffer hsm crypto sign|verify` as cloudhsm-cli's single-command mode (CLOUDHSM_ROLE,
 * CLOUDHSM_PIN). Checked from outside Coffer: pkcs11-tool lists each key on both HSMs' partitions
 * and reads the public keys, node:crypto verifies the signatures, the adapter proves a sharee's
 * copy cannot be wrapped; the rights table (an admin cannot sign, a crypto user cannot create
 * users), the lockout after COFFER_HSM_LOGIN_ATTEMPTS bad passwords, and no password in the data
 * folder, the server's output or the audit records.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createCipheriv, createDecipheriv, createPublicKey, publicEncrypt, randomBytes, verify } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CloudHSMV2Client } from '@aws-sdk/client-cloudhsm-v2';
import { REGION, REPO_ROOT, type Coffer } from './harness.ts';
import { cofferArgs } from '../../scripts/server-command.ts';
import { spawnSync } from 'node:child_process';
import { openSoftHsm, pkcs11Tokens, pkcs11Tool, pkcs11ToolSkip, softhsmSkip, softhsmTokenFolder } from '../support/softhsm.ts';
import {
  activateWithKmsUser, ADMIN, ADMIN_PASSWORD, cofferHsmRun, createCluster, createTwoHsms, describeCluster, hsmsReady, initializeCluster,
  hsmCliChecks, KMSUSER_PASSWORD, signClusterCsr, startHsmServer, until, type HsmServer,
} from './hsm-cluster.ts';
import { CLUSTER_KEY_ID } from '../../src/domain/hsm-users.ts';

const skip = softhsmSkip() ?? pkcs11ToolSkip();
let coffer: Coffer;
let hsm: CloudHSMV2Client;
const ATTEMPTS = 3;

let server: HsmServer;

before(async () => {
  if (skip !== undefined) return;
  server = await startHsmServer({ COFFER_HSM_LOGIN_ATTEMPTS: String(ATTEMPTS) });
  ({ coffer, hsm } = server);
});
after(async () => {
  if (skip !== undefined) return;
  await server.stop();
});

const BOB_PASSWORD = 'bob-password-1';
const BOB_NEW_PASSWORD = 'bob-password-2';
const KMSUSER_NEW_PASSWORD = 'kmsuser-pass-9';
const CU = { CLOUDHSM_ROLE: 'crypto-user', CLOUDHSM_PIN: `kmsuser:${KMSUSER_PASSWORD}` };
const BOB = { CLOUDHSM_ROLE: 'crypto-user', CLOUDHSM_PIN: `bob:${BOB_PASSWORD}` };

/** Every CLI answer of this test, to look for secrets in at the end. */
const answers: string[] = [];

function cli(args: string[], env: Record<string, string>): { status: number | null; code: number; data: Record<string, unknown> & { [k: string]: unknown } } {
  const r = cofferHsmRun(coffer, args, env);
  answers.push(JSON.stringify(r.json));
  return { status: r.status, code: r.json.error_code, data: r.json.data as Record<string, unknown> };
}

/** A CLI call that must succeed (its data), or fail with a message. */
const { ok: okCli, fail: failCli } = hsmCliChecks(cli);

const filesUnder = (dir: string): Buffer[] => readdirSync(dir).flatMap((n) => {
  const p = join(dir, n);
  return statSync(p).isDirectory() ? filesUnder(p) : [readFileSync(p)];
});

/** The CKA_IDs (hex) pkcs11-tool lists in a partition, logged in with its PIN. */
function idsIn(slot: string, pin: string): string[] {
  const r = pkcs11Tool(['--slot', slot, '--login', '--pin', pin, '--list-objects']);
  assert.equal(r.status, 0, r.output);
  return [...r.output.matchAll(/^\s*ID:\s*([0-9a-f]+)\s*$/gm)].map((m) => m[1] as string);
}

test('coffer hsm key / crypto on SoftHSM: AES, EC and RSA keys on both HSMs, list with filters, sign and verify, share and unshare, delete, rights, lockout, no secrets', { skip, timeout: 300_000 }, async () => {
  const id = await createCluster(hsm);
  await createTwoHsms(hsm, id);
  const ready = await until(() => describeCluster(hsm, id), hsmsReady, 'two HSMs ACTIVE');
  await initializeCluster(hsm, id, signClusterCsr(coffer.dataDir, 'keys', ready.Certificates?.ClusterCsr ?? ''));
  await until(() => describeCluster(hsm, id), (c) => c.State === 'INITIALIZED', 'INITIALIZED');
  activateWithKmsUser(coffer, id);
  okCli(['user', 'create', '--cluster-id', id, '--username', 'bob', '--role', 'crypto-user', '--password', BOB_PASSWORD], ADMIN);
  const C = ['--cluster-id', id];

  // Generate: an AES key, an EC pair and an RSA pair, owned by kmsuser.
  const aes = okCli(['key', 'generate-symmetric', 'aes', ...C, '--label', 'aes-example', '--key-length-bytes', '32', '--attributes', 'encrypt=true', 'decrypt=true'], CU).key as Record<string, unknown>;
  const aesRef = aes['key-reference'] as string;
  assert.match(aesRef, /^0x[0-9a-f]{16}$/);
  const aesAttrs = aes.attributes as Record<string, unknown>;
  assert.deepEqual([aesAttrs.class, aesAttrs['key-type'], aesAttrs.label, aesAttrs['key-length-bytes'], aesAttrs.encrypt, aesAttrs.token, aesAttrs.extractable],
    ['secret-key', 'aes', 'aes-example', 32, true, true, true]);
  assert.deepEqual(aes['key-info'], {
    'key-owners': [{ username: 'kmsuser', 'key-coverage': 'full' }], 'shared-users': [],
    'key-quorum-values': { 'manage-key-quorum-value': 0, 'use-key-quorum-value': 0 }, 'cluster-coverage': 'full',
  });
  const ec = okCli(['key', 'generate-asymmetric-pair', 'ec', ...C, '--public-label', 'ec-pub', '--private-label', 'ec-priv', '--curve', 'secp256r1',
    '--public-attributes', 'verify=true', '--private-attributes', 'sign=true'], CU);
  const ecPriv = (ec.private_key as Record<string, unknown>)['key-reference'] as string;
  const ecPub = (ec.public_key as Record<string, unknown>)['key-reference'] as string;
  const rsa = okCli(['key', 'generate-asymmetric-pair', 'rsa', ...C, '--public-label', 'rsa-pub', '--private-label', 'rsa-priv', '--modulus-size-bits', '2048',
    '--public-exponent', '65537', '--public-attributes', 'verify=true', '--private-attributes', 'sign=true'], CU);
  const rsaPriv = (rsa.private_key as Record<string, unknown>)['key-reference'] as string;
  const rsaPub = (rsa.public_key as Record<string, unknown>)['key-reference'] as string;
  assert.equal(new Set([aesRef, ecPriv, ecPub, rsaPriv, rsaPub]).size, 5);

  // Refusals of the attribute rules and of mechanisms SoftHSM does not have, each a clear message.
  failCli(['key', 'generate-symmetric', 'aes', ...C, '--label', 'x', '--key-length-bytes', '20'], CU, /16, 24 or 32/);
  failCli(['key', 'generate-symmetric', 'aes', ...C, '--label', 'x', '--key-length-bytes', '16', '--attributes', 'trusted=true'], CU, /Only an admin/);
  failCli(['key', 'generate-asymmetric-pair', 'ec', ...C, '--public-label', 'p', '--private-label', 'q', '--curve', 'secp256k1'], CU, /Curve must be one of/);
  failCli(['crypto', 'sign', 'rsa-pkcs-pss', ...C, '--key-filter', `key-reference=${rsaPriv}`, '--hash-function', 'sha256', '--data', 'AA=='], CU, /rsa-pkcs-pss is not offered/);

  // Every key on both HSMs: pkcs11-tool lists its CKA_ID in kmsuser's partition of each.
  const kmsuserParts = pkcs11Tokens().filter((t) => t.label === 'kmsuser');
  assert.equal(kmsuserParts.length, 2);
  for (const p of kmsuserParts) {
    const ids = idsIn(p.slot, KMSUSER_PASSWORD);
    for (const ref of [aesRef, ecPriv, ecPub, rsaPriv, rsaPub]) assert.ok(ids.includes(ref.slice(2)), `${ref} on ${p.serial}: ${ids.join(' ')}`);
  }

  // key list: what kmsuser owns; a filter by class, by label, by key reference; --verbose shows every attribute.
  const all = okCli(['key', 'list', ...C], CU);
  assert.equal(all.total_key_count, 5);
  const privs = okCli(['key', 'list', ...C, '--filter', 'attr.class=private-key'], CU).matched_keys as Record<string, unknown>[];
  assert.deepEqual(privs.map((k) => k['key-reference']).sort(), [ecPriv, rsaPriv].sort());
  assert.deepEqual(privs.map((k) => Object.keys(k.attributes as object)), [['label'], ['label']]);
  const byLabel = okCli(['key', 'list', ...C, '--filter', 'attr.label=aes-example', '--verbose'], CU).matched_keys as Record<string, unknown>[];
  assert.equal(byLabel.length, 1);
  assert.equal((byLabel[0]?.attributes as Record<string, unknown>).decrypt, true);
  assert.equal((okCli(['key', 'list', ...C, '--filter', `key-reference=${ecPub}`, 'attr.curve=secp256r1'], CU).matched_keys as unknown[]).length, 1);
  // bob sees only the public keys.
  assert.deepEqual((okCli(['key', 'list', ...C], BOB).matched_keys as Record<string, unknown>[]).map((k) => k['key-reference']).sort(), [ecPub, rsaPub].sort());

  // Sign (ECDSA and RSA): crypto verify agrees, and so does node:crypto with the public key pkcs11-tool reads from a token.
  const data = Buffer.from('the data to be signed');
  const b64 = data.toString('base64');
  for (const [mech, priv, pub] of [['ecdsa', ecPriv, ecPub], ['rsa-pkcs', rsaPriv, rsaPub]] as const) {
    const signed = okCli(['crypto', 'sign', mech, ...C, '--key-filter', `key-reference=${priv}`, '--hash-function', 'sha256', '--data', b64], CU);
    assert.equal(signed['key-reference'], priv);
    const signature = Buffer.from(signed.signature as string, 'base64');
    const der = join(coffer.dataDir, `${mech}.pub.der`);
    const read = pkcs11Tool(['--slot', kmsuserParts[1]?.slot ?? '', '--login', '--pin', KMSUSER_PASSWORD, '--read-object', '--type', 'pubkey', '--id', pub.slice(2), '-o', der]);
    assert.equal(read.status, 0, read.output);
    const key = createPublicKey({ key: readFileSync(der), format: 'der', type: 'spki' });
    assert.equal(verify('sha256', data, mech === 'ecdsa' ? { key, dsaEncoding: 'ieee-p1363' } : key, signature), true, `${mech} signature verifies with node:crypto`);
    assert.equal(verify('sha256', Buffer.from('other data'), mech === 'ecdsa' ? { key, dsaEncoding: 'ieee-p1363' } : key, signature), false);
    assert.deepEqual(okCli(['crypto', 'verify', mech, ...C, '--key-filter', `key-reference=${pub}`, '--hash-function', 'sha256', '--data', b64, '--signature', signed.signature as string], CU),
      { message: 'Signature verified successfully' });
    failCli(['crypto', 'verify', mech, ...C, '--key-filter', `key-reference=${pub}`, '--hash-function', 'sha256', '--data', Buffer.from('x').toString('base64'), '--signature', signed.signature as string], CU, /does not verify/);
  }
  failCli(['crypto', 'sign', 'ecdsa', ...C, '--key-filter', `key-reference=${rsaPriv}`, '--hash-function', 'sha256', '--data', b64], CU, /does not fit/);

  // Wrap and unwrap, checked with node:crypto. An RSA pair brings in (rsa-oaep) an AES key w whose value the test chose;
  // under it a key k the test chose comes in and goes out (aes-no-pad) as RFC 3394 says; aes-example goes out and unwraps
  // with w in node; k goes out under the RSA public key and back in under its private key, the same key.
  const wrapPair = okCli(['key', 'generate-asymmetric-pair', 'rsa', ...C, '--public-label', 'wrap-pub', '--private-label', 'wrap-priv', '--modulus-size-bits', '2048',
    '--public-attributes', 'wrap=true', '--private-attributes', 'unwrap=true'], CU);
  const wrapPub = (wrapPair.public_key as Record<string, unknown>)['key-reference'] as string;
  const wrapPriv = (wrapPair.private_key as Record<string, unknown>)['key-reference'] as string;
  const wrapDer = join(coffer.dataDir, 'wrap.pub.der');
  assert.equal(pkcs11Tool(['--slot', kmsuserParts[0]?.slot ?? '', '--login', '--pin', KMSUSER_PASSWORD, '--read-object', '--type', 'pubkey', '--id', wrapPub.slice(2), '-o', wrapDer]).status, 0);
  const rsaWrap = createPublicKey({ key: readFileSync(wrapDer), format: 'der', type: 'spki' });
  const w = randomBytes(32);
  const kek = ((okCli(['key', 'unwrap', 'rsa-oaep', ...C, '--filter', `key-reference=${wrapPriv}`, '--key-type-class', 'aes', '--label', 'kek', '--attributes', 'wrap=true', 'unwrap=true',
    '--data', publicEncrypt({ key: rsaWrap, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, w).toString('base64')], CU).key as Record<string, unknown>)['key-reference']) as string;
  const kw = (key: Buffer, data: Buffer): string => { const c = createCipheriv('id-aes256-wrap', key, Buffer.from('a6a6a6a6a6a6a6a6', 'hex')); return Buffer.concat([c.update(data), c.final()]).toString('base64'); };
  const k = randomBytes(32);
  const imported = okCli(['key', 'unwrap', 'aes-no-pad', ...C, '--filter', `key-reference=${kek}`, '--data', kw(w, k), '--key-type-class', 'aes', '--label', 'imported'], CU).key as Record<string, unknown>;
  const importedRef = imported['key-reference'] as string;
  assert.deepEqual([(imported.attributes as Record<string, unknown>).local, (imported.attributes as Record<string, unknown>)['key-length-bytes']], [false, 32]);
  const wrapOut = (mech: string, payload: string, wrapping: string, env = CU) => okCli(['key', 'wrap', mech, ...C, '--payload-filter', `key-reference=${payload}`, '--wrapping-filter', `key-reference=${wrapping}`], env);
  assert.deepEqual(wrapOut('aes-no-pad', importedRef, kek), { payload_key_reference: importedRef, wrapping_key_reference: kek, wrapped_key_data: kw(w, k) });
  const exampleOut = Buffer.from(wrapOut('aes-no-pad', aesRef, kek).wrapped_key_data as string, 'base64');
  const unwrapper = createDecipheriv('id-aes256-wrap', w, Buffer.from('a6a6a6a6a6a6a6a6', 'hex'));
  assert.equal(Buffer.concat([unwrapper.update(exampleOut), unwrapper.final()]).length, 32, 'aes-example unwraps with w in node:crypto');
  const viaRsa = wrapOut('rsa-oaep', importedRef, wrapPub).wrapped_key_data as string;
  const again = ((okCli(['key', 'unwrap', 'rsa-oaep', ...C, '--filter', `key-reference=${wrapPriv}`, '--data', viaRsa, '--key-type-class', 'aes', '--label', 'imported-2'], CU).key as Record<string, unknown>)['key-reference']) as string;
  assert.equal(wrapOut('aes-no-pad', again, kek).wrapped_key_data, kw(w, k), 'out under RSA-OAEP and back in: the same key');
  // Refused: a mechanism SoftHSM lacks, a key not extractable, a sharee (only the owner wraps), a public key as payload.
  failCli(['key', 'wrap', 'aes-gcm', ...C, '--payload-filter', `key-reference=${importedRef}`, '--wrapping-filter', `key-reference=${kek}`], CU, /aes-gcm is not offered/);
  const fixedKey = ((okCli(['key', 'generate-symmetric', 'aes', ...C, '--label', 'stays', '--key-length-bytes', '16', '--attributes', 'extractable=false'], CU).key as Record<string, unknown>)['key-reference']) as string;
  failCli(['key', 'wrap', 'aes-no-pad', ...C, '--payload-filter', `key-reference=${fixedKey}`, '--wrapping-filter', `key-reference=${kek}`], CU, /not extractable/);
  failCli(['key', 'wrap', 'aes-no-pad', ...C, '--payload-filter', `key-reference=${ecPub}`, '--wrapping-filter', `key-reference=${kek}`], CU, /Only the owner|Only secret keys/);
  okCli(['key', 'share', ...C, '--filter', `key-reference=${importedRef}`, '--username', 'bob', '--role', 'crypto-user'], CU);
  failCli(['key', 'wrap', 'aes-no-pad', ...C, '--payload-filter', `key-reference=${importedRef}`, '--wrapping-filter', `key-reference=${kek}`], BOB, /Only the owner/);
  okCli(['key', 'unshare', ...C, '--filter', `key-reference=${importedRef}`, '--username', 'bob', '--role', 'crypto-user'], CU);

  // Rights table: an admin cannot sign or list keys, a crypto user cannot create users; bob cannot use kmsuser's key.
  failCli(['crypto', 'sign', 'ecdsa', ...C, '--key-filter', `key-reference=${ecPriv}`, '--hash-function', 'sha256', '--data', b64], ADMIN, /admin cannot manage or use keys/);
  failCli(['key', 'list', ...C], ADMIN, /admin cannot/);
  failCli(['user', 'create', ...C, '--username', 'eve', '--role', 'crypto-user', '--password', 'eve-password-1'], CU, /crypto user cannot create or delete users/);
  failCli(['crypto', 'sign', 'ecdsa', ...C, '--key-filter', `key-reference=${ecPriv}`, '--hash-function', 'sha256', '--data', b64], BOB, /No key matches/);

  // Share the EC private key with bob: he signs with it; his copy (on both HSMs) cannot be wrapped, even under CK; he cannot delete or reshare it.
  assert.deepEqual(okCli(['key', 'share', ...C, '--filter', `key-reference=${ecPriv}`, '--username', 'bob', '--role', 'crypto-user'], CU), { message: 'Key shared successfully' });
  const shared = okCli(['key', 'list', ...C, '--filter', `key-reference=${ecPriv}`, '--verbose'], BOB).matched_keys as Record<string, unknown>[];
  assert.deepEqual((shared[0]?.['key-info'] as Record<string, unknown>)['shared-users'], [{ username: 'bob', 'key-coverage': 'full' }]);
  const bobSig = okCli(['crypto', 'sign', 'ecdsa', ...C, '--key-filter', 'attr.label=ec-priv', '--hash-function', 'sha256', '--data', b64], BOB);
  okCli(['crypto', 'verify', 'ecdsa', ...C, '--key-filter', 'attr.label=ec-pub', '--hash-function', 'sha256', '--data', b64, '--signature', bobSig.signature as string], BOB);
  failCli(['key', 'delete', ...C, '--filter', `key-reference=${ecPriv}`], BOB, /Only the owner/);
  failCli(['key', 'share', ...C, '--filter', `key-reference=${ecPriv}`, '--username', 'kmsuser', '--role', 'crypto-user'], BOB, /Only the owner/);
  const bobParts = pkcs11Tokens().filter((t) => t.label === 'bob');
  assert.equal(bobParts.length, 2);
  const module = await openSoftHsm();
  try {
    for (const p of bobParts) assert.ok(idsIn(p.slot, BOB_PASSWORD).includes(ecPriv.slice(2)), `bob's copy on ${p.serial}`);
    const s = await module.openSession(bobParts[0]?.serial ?? '', BOB_PASSWORD);
    try {
      await assert.rejects(s.wrapPrivate(CLUSTER_KEY_ID, Buffer.from(ecPriv.slice(2), 'hex')), { code: 'CKR_KEY_UNEXTRACTABLE' });
    } finally {
      await s.close();
    }
    // The owner's copy does leave the token under CK (replication): the check above can fail.
    const o = await module.openSession(kmsuserParts[0]?.serial ?? '', KMSUSER_PASSWORD);
    try {
      assert.ok((await o.wrapPrivate(CLUSTER_KEY_ID, Buffer.from(ecPriv.slice(2), 'hex'))).length > 0);
    } finally {
      await o.close();
    }
  } finally {
    await module.close();
  }

  // Unshare: bob's copies are gone from both HSMs, and he cannot sign any more.
  assert.deepEqual(okCli(['key', 'unshare', ...C, '--filter', `key-reference=${ecPriv}`, '--username', 'bob', '--role', 'crypto-user'], CU), { message: 'Key unshared successfully' });
  for (const p of bobParts) assert.ok(!idsIn(p.slot, BOB_PASSWORD).includes(ecPriv.slice(2)));
  failCli(['crypto', 'sign', 'ecdsa', ...C, '--key-filter', `key-reference=${ecPriv}`, '--hash-function', 'sha256', '--data', b64], BOB, /No key matches/);

  // set-attribute: a label on the token copies; modifiable goes true → false only, then nothing changes.
  okCli(['key', 'set-attribute', ...C, '--filter', `key-reference=${aesRef}`, '--name', 'label', '--value', 'aes-renamed'], CU);
  const renamed = pkcs11Tool(['--slot', kmsuserParts[0]?.slot ?? '', '--login', '--pin', KMSUSER_PASSWORD, '--list-objects']);
  assert.match(renamed.output, /label:\s+aes-renamed/);
  failCli(['key', 'set-attribute', ...C, '--filter', `key-reference=${aesRef}`, '--name', 'key-type', '--value', 'rsa'], CU, /read-only/);
  okCli(['key', 'set-attribute', ...C, '--filter', `key-reference=${aesRef}`, '--name', 'modifiable', '--value', 'false'], CU);
  failCli(['key', 'set-attribute', ...C, '--filter', `key-reference=${aesRef}`, '--name', 'modifiable', '--value', 'true'], CU, /not modifiable/);

  // Delete: gone from both HSMs and from the list; kmsuser cannot be deleted while it owns keys.
  assert.deepEqual(okCli(['key', 'delete', ...C, '--filter', `key-reference=${aesRef}`], CU), { message: 'Key deleted successfully' });
  for (const p of kmsuserParts) assert.ok(!idsIn(p.slot, KMSUSER_PASSWORD).includes(aesRef.slice(2)));
  assert.equal(okCli(['key', 'list', ...C], CU).total_key_count, 10);
  failCli(['key', 'delete', ...C, '--filter', 'attr.class=private-key'], CU, /matches 3 keys/);

  // Lockout: after ATTEMPTS wrong passwords bob is locked, even with the right one; an admin's change-password unlocks him.
  const wrongBob = { CLOUDHSM_ROLE: 'crypto-user', CLOUDHSM_PIN: 'bob:not-his-password' };
  for (let i = 0; i < ATTEMPTS; i++) failCli(['key', 'list', ...C], wrongBob, /credentials are not valid/);
  failCli(['key', 'list', ...C], BOB, /locked out after 3 failed logins/);
  const users = okCli(['user', 'list', ...C], {}).users as Record<string, unknown>[];
  assert.equal(users.find((u) => u.username === 'bob')?.locked, 'true');
  okCli(['user', 'change-password', ...C, '--username', 'bob', '--role', 'crypto-user', '--password', BOB_NEW_PASSWORD], ADMIN);
  const bobNow = { CLOUDHSM_ROLE: 'crypto-user', CLOUDHSM_PIN: `bob:${BOB_NEW_PASSWORD}` };
  assert.equal(okCli(['key', 'list', ...C], bobNow).total_key_count, 3);
  // Failures below the limit are cleared by a good login.
  failCli(['key', 'list', ...C], wrongBob, /credentials are not valid/);
  okCli(['key', 'list', ...C], bobNow);
  for (let i = 0; i < ATTEMPTS - 1; i++) failCli(['key', 'list', ...C], wrongBob, /credentials are not valid/);
  okCli(['key', 'list', ...C], bobNow);

  // Interactive mode, as cloudhsm-cli's: nothing before login, a wrong password refused, then commands as kmsuser until logout.
  const session = spawnSync(process.execPath, [...cofferArgs('cli'), 'hsm', 'interactive', '--cluster-id', id, '--endpoint-url', coffer.endpoint], {
    cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000,
    env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', AWS_ACCESS_KEY_ID: coffer.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: coffer.credentials.secretAccessKey, AWS_REGION: REGION },
    input: ['key list', 'login --username kmsuser --role crypto-user', 'not-the-password', 'login --username kmsuser --role crypto-user', KMSUSER_PASSWORD,
      'key list --filter attr.label=ec-priv', `crypto sign ecdsa --key-filter attr.label=ec-priv --hash-function sha256 --data ${b64}`, 'logout', 'key list', 'quit', 'key list', ''].join('\n'),
  });
  answers.push(session.stdout, session.stderr);
  const replies: { error_code: number; data: unknown }[] = [];
  let pending = '';
  for (const line of session.stdout.split('\n')) {
    if (line === 'Enter password:' || (pending === '' && line === '')) continue;
    pending += `${line}\n`;
    if (line === '}') { replies.push(JSON.parse(pending) as { error_code: number; data: unknown }); pending = ''; }
  }
  assert.equal(replies.length, 7, session.stdout + session.stderr);
  assert.deepEqual(replies.map((r) => r.error_code), [1, 1, 0, 0, 0, 0, 1]);
  assert.match(String(replies[0]?.data), /needs an HSM login/);
  assert.match(String(replies[1]?.data), /credentials are not valid/);
  assert.deepEqual(replies[2]?.data, { username: 'kmsuser', role: 'crypto-user' });
  assert.equal((replies[3]?.data as { total_key_count: number }).total_key_count, 1);
  const interactiveSig = Buffer.from((replies[4]?.data as { signature: string }).signature, 'base64');
  assert.equal(verify('sha256', data, { key: createPublicKey({ key: readFileSync(join(coffer.dataDir, 'ecdsa.pub.der')), format: 'der', type: 'spki' }), dsaEncoding: 'ieee-p1363' }, interactiveSig), true);
  assert.equal(replies[5]?.data, 'Logout successful');
  assert.match(String(replies[6]?.data), /needs an HSM login/);
  assert.equal(session.status, 1, 'the last command (after logout) failed');

  // An HSM away (its token folders moved out): DEGRADED. Meanwhile kmsuser's password changes, a key is made,
  // one deleted, one shared; the HSM returns (SoftHSM sees a token again only in a new process: Coffer restarts)
  // and catches up before it is ACTIVE: the new PIN, the new key, the deletion and the share are on it.
  const away = (await describeCluster(hsm, id)).Hsms?.[0]?.HsmId as string;
  const serialOn = (env: Record<string, string>): string => {
    const uris = okCli(['cluster', 'pkcs11-uris', ...C], env).uris as Record<string, string>[];
    assert.equal(uris.length, 2);
    return /serial=([0-9a-f]+)/.exec(uris.find((u) => u['hsm-id'] === away)?.uri ?? '')?.[1] ?? '';
  };
  const kmsuserSerial = serialOn(CU);
  const bobSerial = serialOn(bobNow);
  const awayTokens = [pkcs11Tokens().find((t) => t.label === `coffer:${away}`), kmsuserParts.find((p) => p.serial === kmsuserSerial), bobParts.find((p) => p.serial === bobSerial)];
  assert.ok(awayTokens.every((t) => t !== undefined), JSON.stringify(awayTokens));
  const folders = awayTokens.map((t) => softhsmTokenFolder(t?.serial ?? ''));
  for (const f of folders) renameSync(f, `${f}.away`);
  await until(() => describeCluster(hsm, id), (c) => c.State === 'DEGRADED', 'cluster DEGRADED');
  okCli(['user', 'change-password', ...C, '--username', 'kmsuser', '--role', 'crypto-user', '--password', KMSUSER_NEW_PASSWORD], ADMIN);
  const CU2 = { CLOUDHSM_ROLE: 'crypto-user', CLOUDHSM_PIN: `kmsuser:${KMSUSER_NEW_PASSWORD}` };
  const late = (okCli(['key', 'generate-symmetric', 'aes', ...C, '--label', 'made-while-away', '--key-length-bytes', '16'], CU2).key as Record<string, unknown>);
  const lateRef = late['key-reference'] as string;
  assert.equal((late['key-info'] as Record<string, unknown>)['cluster-coverage'], 'partial');
  okCli(['key', 'delete', ...C, '--filter', `key-reference=${rsaPub}`], CU2);
  okCli(['key', 'share', ...C, '--filter', `key-reference=${ecPriv}`, '--username', 'bob', '--role', 'crypto-user'], CU2);
  await coffer.stop();
  for (const f of folders) renameSync(`${f}.away`, f);
  hsm.destroy();
  server = await startHsmServer({ COFFER_HSM_LOGIN_ATTEMPTS: String(ATTEMPTS) }, coffer);
  ({ coffer, hsm } = server);
  await until(() => describeCluster(hsm, id), (c) => c.State === 'ACTIVE' && (c.Hsms ?? []).every((h) => h.State === 'ACTIVE'), 'the HSM caught up, ACTIVE again');
  const slotOf = (serial: string): string => pkcs11Tokens().find((t) => t.serial === serial)?.slot ?? '';
  const caught = idsIn(slotOf(kmsuserSerial), KMSUSER_NEW_PASSWORD);
  assert.ok(caught.includes(lateRef.slice(2)), 'the key made while away');
  assert.ok(!caught.includes(rsaPub.slice(2)), 'the key deleted while away');
  assert.ok(caught.includes(ecPriv.slice(2)) && caught.includes(rsaPriv.slice(2)));
  assert.ok(idsIn(slotOf(bobSerial), BOB_NEW_PASSWORD).includes(ecPriv.slice(2)), 'the share made while away');
  const listed = okCli(['key', 'list', ...C, '--filter', `key-reference=${lateRef}`, '--verbose'], CU2).matched_keys as Record<string, unknown>[];
  assert.equal((listed[0]?.['key-info'] as Record<string, unknown>)['cluster-coverage'], 'full');

  // Audited: one CloudTrail-shaped record per call, without parameters (no data, no password).
  const trail = await coffer.raw({
    body: JSON.stringify({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'Sign' }] }), service: 'cloudtrail',
    headers: { 'x-amz-target': 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents', 'content-type': 'application/x-amz-json-1.1' },
  });
  assert.equal(trail.status, 200, trail.body);
  const records = (JSON.parse(trail.body) as { Events: { CloudTrailEvent: string }[] }).Events.map((e) => JSON.parse(e.CloudTrailEvent) as Record<string, unknown>);
  assert.equal(records.length, 8, 'every sign call, allowed or refused (one in interactive mode)');
  for (const r of records) {
    assert.equal(r.eventSource, 'cloudhsm.amazonaws.com');
    assert.equal(r.requestParameters, null);
    assert.equal(r.responseElements, null);
  }

  // No password or PIN anywhere: data folder (database, WAL, audit), server output, CLI answers.
  const secrets = [ADMIN_PASSWORD, KMSUSER_PASSWORD, KMSUSER_NEW_PASSWORD, BOB_PASSWORD, BOB_NEW_PASSWORD, 'not-his-password'];
  const files = filesUnder(coffer.dataDir);
  for (const secret of secrets) {
    assert.equal(files.some((b) => b.includes(Buffer.from(secret))), false, `${secret} stored in the data folder`);
    assert.ok(!coffer.output().includes(secret), `${secret} in the server's output`);
    assert.ok(!answers.some((a) => a.includes(secret)), `${secret} in a CLI answer`);
  }
});
