/**
 * The capability table against the AWS model's enums and the reference's table (§3.3–3.6): every
 * spec and algorithm of the model is covered, each spec has exactly the usages and algorithms the
 * reference lists, and the limits match what AWS answered in the recordings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kmsModel } from '../wire/model.ts';
import { KEY_SPECS, MAC_ALGORITHMS, SIGNING_ALGORITHMS, isKeySpec, type KeySpec } from './key-specs.ts';

const enumOf = (shape: string): string[] => {
  const s = kmsModel.shapes[shape];
  assert.ok(s && s.type === 'string' && s.enum, `${shape} is an enum`);
  return [...s.enum];
};
const specs = Object.keys(KEY_SPECS) as KeySpec[];

test('the table has exactly the KeySpec values of the model', () => {
  assert.deepEqual([...specs].sort(), enumOf('KeySpec').sort());
  assert.equal(isKeySpec('RSA_2048'), true);
  assert.equal(isKeySpec('HMAC_random'), false);
  assert.equal(isKeySpec('toString'), false);
});

test('each spec has the usages and algorithms of the reference table (§3.3)', () => {
  const RSA_SIGN = ['RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512', 'RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512'];
  const RSA = { usages: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'], enc: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'], sign: RSA_SIGN, mac: [], ka: [] };
  const expected: Record<KeySpec, { usages: string[]; enc: string[]; sign: string[]; mac: string[]; ka: string[] }> = {
    SYMMETRIC_DEFAULT: { usages: ['ENCRYPT_DECRYPT'], enc: ['SYMMETRIC_DEFAULT'], sign: [], mac: [], ka: [] },
    RSA_2048: RSA, RSA_3072: RSA, RSA_4096: RSA,
    ECC_NIST_P256: { usages: ['SIGN_VERIFY', 'KEY_AGREEMENT'], enc: [], sign: ['ECDSA_SHA_256'], mac: [], ka: ['ECDH'] },
    ECC_NIST_P384: { usages: ['SIGN_VERIFY', 'KEY_AGREEMENT'], enc: [], sign: ['ECDSA_SHA_384'], mac: [], ka: ['ECDH'] },
    ECC_NIST_P521: { usages: ['SIGN_VERIFY', 'KEY_AGREEMENT'], enc: [], sign: ['ECDSA_SHA_512'], mac: [], ka: ['ECDH'] },
    ECC_SECG_P256K1: { usages: ['SIGN_VERIFY'], enc: [], sign: ['ECDSA_SHA_256'], mac: [], ka: [] },
    ECC_NIST_EDWARDS25519: { usages: ['SIGN_VERIFY'], enc: [], sign: ['ED25519_SHA_512', 'ED25519_PH_SHA_512'], mac: [], ka: [] },
    HMAC_224: { usages: ['GENERATE_VERIFY_MAC'], enc: [], sign: [], mac: ['HMAC_SHA_224'], ka: [] },
    HMAC_256: { usages: ['GENERATE_VERIFY_MAC'], enc: [], sign: [], mac: ['HMAC_SHA_256'], ka: [] },
    HMAC_384: { usages: ['GENERATE_VERIFY_MAC'], enc: [], sign: [], mac: ['HMAC_SHA_384'], ka: [] },
    HMAC_512: { usages: ['GENERATE_VERIFY_MAC'], enc: [], sign: [], mac: ['HMAC_SHA_512'], ka: [] },
    ML_DSA_44: { usages: ['SIGN_VERIFY'], enc: [], sign: ['ML_DSA_SHAKE_256'], mac: [], ka: [] },
    ML_DSA_65: { usages: ['SIGN_VERIFY'], enc: [], sign: ['ML_DSA_SHAKE_256'], mac: [], ka: [] },
    ML_DSA_87: { usages: ['SIGN_VERIFY'], enc: [], sign: ['ML_DSA_SHAKE_256'], mac: [], ka: [] },
    SM2: { usages: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'KEY_AGREEMENT'], enc: ['SM2PKE'], sign: ['SM2DSA'], mac: [], ka: ['ECDH'] },
  };
  for (const spec of specs) {
    const c = KEY_SPECS[spec];
    const want = expected[spec];
    assert.deepEqual([...c.usages], want.usages, `${spec} usages`);
    assert.deepEqual([...c.encryptionAlgorithms], want.enc, `${spec} encryption algorithms`);
    assert.deepEqual([...c.signingAlgorithms], want.sign, `${spec} signing algorithms`);
    assert.deepEqual([...c.macAlgorithms], want.mac, `${spec} MAC algorithms`);
    assert.deepEqual([...c.keyAgreementAlgorithms], want.ka, `${spec} key agreement algorithms`);
    // Only the symmetric default key has a default usage: AWS requires KeyUsage for every other spec.
    assert.equal(c.defaultUsage, spec === 'SYMMETRIC_DEFAULT' ? 'ENCRYPT_DECRYPT' : undefined, `${spec} default usage`);
  }
});

test('every algorithm of the model enums has its row, and every listed algorithm is in the model', () => {
  assert.deepEqual(Object.keys(SIGNING_ALGORITHMS).sort(), enumOf('SigningAlgorithmSpec').sort());
  assert.deepEqual(Object.keys(MAC_ALGORITHMS).sort(), enumOf('MacAlgorithmSpec').sort());
  const enc = new Set(enumOf('EncryptionAlgorithmSpec'));
  const ka = new Set(enumOf('KeyAgreementAlgorithmSpec'));
  for (const spec of specs) {
    for (const a of KEY_SPECS[spec].encryptionAlgorithms) assert.ok(enc.has(a), a);
    for (const a of KEY_SPECS[spec].keyAgreementAlgorithms) assert.ok(ka.has(a), a);
  }
});

test('message types and digest lengths per signing algorithm (§3.5)', () => {
  assert.deepEqual(SIGNING_ALGORITHMS.ECDSA_SHA_256.messageTypes, { RAW: 'any', DIGEST: 32 });
  assert.deepEqual(SIGNING_ALGORITHMS.RSASSA_PSS_SHA_384.messageTypes, { RAW: 'any', DIGEST: 48 });
  assert.deepEqual(SIGNING_ALGORITHMS.RSASSA_PKCS1_V1_5_SHA_512.messageTypes, { RAW: 'any', DIGEST: 64 });
  assert.deepEqual(SIGNING_ALGORITHMS.ED25519_SHA_512.messageTypes, { RAW: 'any' });
  assert.deepEqual(SIGNING_ALGORITHMS.ED25519_PH_SHA_512.messageTypes, { DIGEST: 64 });
  assert.deepEqual(SIGNING_ALGORITHMS.ML_DSA_SHAKE_256.messageTypes, { RAW: 'any', EXTERNAL_MU: 64 });
  const messageTypes = new Set(enumOf('MessageType'));
  for (const info of Object.values(SIGNING_ALGORITHMS)) for (const t of Object.keys(info.messageTypes)) assert.ok(messageTypes.has(t), t);
});

test('RSA plaintext limits are the ones AWS answers (recorded: 214/190, 342/318, 470/446 bytes)', () => {
  assert.deepEqual(KEY_SPECS.RSA_2048.maxPlaintext, { RSAES_OAEP_SHA_1: 214, RSAES_OAEP_SHA_256: 190 });
  assert.deepEqual(KEY_SPECS.RSA_3072.maxPlaintext, { RSAES_OAEP_SHA_1: 342, RSAES_OAEP_SHA_256: 318 });
  assert.deepEqual(KEY_SPECS.RSA_4096.maxPlaintext, { RSAES_OAEP_SHA_1: 470, RSAES_OAEP_SHA_256: 446 });
  assert.deepEqual(KEY_SPECS.SYMMETRIC_DEFAULT.maxPlaintext, { SYMMETRIC_DEFAULT: 4096 });
});

test('material: HMAC keys as long as their hash, key pairs for asymmetric specs, nothing for SM2', () => {
  assert.deepEqual(KEY_SPECS.SYMMETRIC_DEFAULT.material, { kind: 'secret', bytes: 32, importBytes: [32, 32] });
  assert.deepEqual(KEY_SPECS.HMAC_224.material, { kind: 'secret', bytes: 28, importBytes: [28, 64] });
  assert.deepEqual(KEY_SPECS.HMAC_512.material, { kind: 'secret', bytes: 64, importBytes: [64, 128] });
  assert.deepEqual(KEY_SPECS.RSA_3072.material, { kind: 'pair', pair: { type: 'rsa', bits: 3072 } });
  assert.deepEqual(KEY_SPECS.ECC_SECG_P256K1.material, { kind: 'pair', pair: { type: 'ec', curve: 'secp256k1' } });
  assert.deepEqual(KEY_SPECS.ML_DSA_65.material, { kind: 'pair', pair: { type: 'ml-dsa', level: 65 } });
  for (const spec of specs) {
    const c = KEY_SPECS[spec];
    assert.equal(c.implemented, c.material.kind !== 'none', `${spec}: implemented exactly when it has material`);
    assert.equal(c.keyType === 'ASYMMETRIC', c.material.kind === 'pair' || c.material.kind === 'none', `${spec}: key type`);
  }
  assert.equal(KEY_SPECS.SM2.implemented, false);
  assert.match(KEY_SPECS.SM2.unsupported ?? '', /SM2/);
});

test('data key pair specs and legacy CustomerMasterKeySpec values follow the model enums', () => {
  assert.deepEqual(specs.filter((s) => KEY_SPECS[s].dataKeyPair).sort(), enumOf('DataKeyPairSpec').sort());
  assert.deepEqual(specs.filter((s) => KEY_SPECS[s].legacySpec).sort(), enumOf('CustomerMasterKeySpec').sort());
});
