/**
 * Looks inside SoftHSM2 tokens with OpenSC's pkcs11-tool, a PKCS#11 client Coffer does not
 * control: a key Coffer generates is listed with the attributes design/hsm-tier.md §1.1 requires,
 * and its value cannot be read (CKR_ATTRIBUTE_SENSITIVE).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openSoftHsm, pkcs11Tool, pkcs11ToolSkip } from '../../../test/support/softhsm.ts';

const skip = pkcs11ToolSkip() ?? false;
const SO_PIN = 'so-pin-0000';
const USER_PIN = 'user-pin-1111';

test('pkcs11-tool lists a WRAP_WITH_TRUSTED key Coffer generated, and cannot read its value (CKR_ATTRIBUTE_SENSITIVE)', { skip }, async () => {
  const m = await openSoftHsm();
  try {
    const label = `tool-${randomBytes(4).toString('hex')}`;
    const info = await m.initToken(label, SO_PIN);
    const admin = await m.openAdmin(info.serial, SO_PIN);
    await admin.initUserPin(USER_PIN);
    await admin.close();
    const s = await m.openSession(info.serial, USER_PIN);
    const id = randomBytes(8);
    await s.generateAes({ id, label: 'replicated key', usage: ['encrypt', 'decrypt'], wrapWithTrusted: true, extractable: true }, 32);
    const rsa = randomBytes(8);
    await s.generateRsaPair(rsa, 'csr key', 2048);
    await s.close();
    const token = ['--token-label', label, '--login', '--pin', USER_PIN];

    const read = pkcs11Tool([...token, '--read-object', '--type', 'secrkey', '--id', id.toString('hex')]);
    assert.notEqual(read.status, 0, read.output);
    assert.match(read.output, /CKR_ATTRIBUTE_SENSITIVE/);

    const listed = pkcs11Tool([...token, '-O']);
    assert.equal(listed.status, 0, listed.output);
    const secret = listed.output.split(/\n(?=\S)/).find((block) => new RegExp(`ID:\\s+${id.toString('hex')}`).test(block)) ?? '';
    assert.match(secret, /Secret Key Object; AES length 32/);
    assert.match(secret, /label:\s+replicated key/);
    assert.match(secret, /Usage:\s+encrypt, decrypt\n/);
    assert.match(secret, /Access:\s+sensitive, always sensitive, extractable, local/);
    const privateKey = listed.output.split(/\n(?=\S)/).find((block) => block.startsWith('Private Key Object; RSA')) ?? '';
    assert.match(privateKey, new RegExp(`ID:\\s+${rsa.toString('hex')}`));
    assert.match(privateKey, /Usage:\s+sign\n/);
    assert.match(privateKey, /Access:\s+sensitive, always sensitive, never extractable, local/);

    assert.ok(!listed.output.includes('Unknown'), 'no unknown objects');

    // Without a login the private objects are not there at all.
    const anonymous = pkcs11Tool(['--token-label', label, '-O']);
    assert.ok(!anonymous.output.includes(id.toString('hex')), anonymous.output);
  } finally {
    await m.close();
  }
});
