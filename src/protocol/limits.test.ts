/**
 * The limits validate.ts adds to the model: the encryption-context bound in every operation and
 * member of the model that carries an EncryptionContextType (found by walking the model, so a new
 * one is covered or this test fails), and AWS's grant-constraint limits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deserializeInput } from './validate.ts';
import { kmsModel } from '../wire/model.ts';
import { ValidationException } from '../errors/common-errors.ts';
import { MAX_ENCRYPTION_CONTEXT_BYTES, MAX_ENCRYPTION_CONTEXT_PAIRS, MAX_GRANT_CONSTRAINT_PAIRS, MAX_GRANT_CONSTRAINT_VALUE_LENGTH } from './limits.ts';

const KEY = '1234abcd-12ab-34cd-56ef-1234567890ab';

/** The smallest valid input of each operation that carries an encryption context. */
const BASE: Readonly<Record<string, Record<string, unknown>>> = {
  Encrypt: { KeyId: KEY, Plaintext: 'AA==' },
  Decrypt: {},
  ReEncrypt: { DestinationKeyId: KEY },
  GenerateDataKey: { KeyId: KEY },
  GenerateDataKeyWithoutPlaintext: { KeyId: KEY },
  GenerateDataKeyPair: { KeyId: KEY, KeyPairSpec: 'RSA_2048' },
  GenerateDataKeyPairWithoutPlaintext: { KeyId: KEY, KeyPairSpec: 'RSA_2048' },
  CreateGrant: { KeyId: KEY, Operations: ['Decrypt'] },
};

/** Every member path (PascalCase names) of an operation's input that holds an EncryptionContextType. */
function contextPaths(shape: string, seen: readonly string[] = []): string[][] {
  const s = kmsModel.shapes[shape];
  if (s?.type !== 'structure' || seen.includes(shape)) return [];
  return Object.entries(s.members).flatMap(([member, ref]) =>
    ref.shape === 'EncryptionContextType' ? [[member]] : contextPaths(ref.shape, [...seen, shape]).map((p) => [member, ...p]));
}

const CARRIERS = Object.entries(kmsModel.operations).flatMap(([op, o]) => (o.input === undefined ? [] : contextPaths(o.input).map((path) => ({ op, path }))));

/** The input with `value` at `path`. */
function withAt(base: Record<string, unknown>, path: readonly string[], value: unknown): Record<string, unknown> {
  const [head, ...rest] = path as [string, ...string[]];
  return { ...base, [head]: rest.length === 0 ? value : withAt((base[head] as Record<string, unknown> | undefined) ?? {}, rest, value) };
}

const label = (path: readonly string[]): string => path.map((p) => p.charAt(0).toLowerCase() + p.slice(1)).join('.');

function refusal(op: string, body: unknown): string {
  try {
    deserializeInput(op, body);
  } catch (e) {
    if (e instanceof ValidationException) return e.message;
    throw e;
  }
  return assert.fail(`${op}: expected a ValidationException`);
}

const pairs = (n: number): Record<string, string> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));

test('the table names exactly the operations whose input carries an encryption context', () => {
  assert.deepEqual([...new Set(CARRIERS.map((c) => c.op))].sort(), Object.keys(BASE).sort());
  assert.equal(CARRIERS.length, 10); // ReEncrypt twice, CreateGrant's constraints twice
});

for (const { op, path } of CARRIERS) {
  const grant = path[0] === 'Constraints';
  const maxPairs = grant ? MAX_GRANT_CONSTRAINT_PAIRS : MAX_ENCRYPTION_CONTEXT_PAIRS;
  test(`${op} ${label(path)}: ${maxPairs} pairs are accepted, ${maxPairs + 1} refused`, () => {
    const base = BASE[op] as Record<string, unknown>;
    deserializeInput(op, withAt(base, path, pairs(maxPairs)));
    assert.equal(
      refusal(op, withAt(base, path, pairs(maxPairs + 1))),
      `1 validation error detected: Value at '${label(path)}' failed to satisfy constraint: Member must have length less than or equal to ${maxPairs}`,
    );
  });
  test(`${op} ${label(path)}: ${MAX_ENCRYPTION_CONTEXT_BYTES} bytes of keys and values are accepted, one more refused`, () => {
    const base = BASE[op] as Record<string, unknown>;
    // Grant constraint values are also capped at 384 characters: spread the bytes over pairs.
    const spread = (bytes: number): Record<string, string> => {
      const out: Record<string, string> = {};
      for (let i = 0; bytes > 0; i++) {
        const v = 'x'.repeat(Math.min(bytes - 2, 380));
        out[`k${i}`.padEnd(2, '_')] = v;
        bytes -= 2 + v.length;
      }
      return out;
    };
    const fits = grant ? spread(2000) : { k: 'x'.repeat(MAX_ENCRYPTION_CONTEXT_BYTES - 1) };
    deserializeInput(op, withAt(base, path, fits));
    if (grant) return; // 8 pairs of at most 384 characters can never reach 8,192 bytes
    // 2,731 three-byte characters: fewer code units than the bound, more bytes.
    const euro = { k: '€'.repeat(2731) };
    assert.ok(euro.k.length < MAX_ENCRYPTION_CONTEXT_BYTES);
    for (const over of [{ k: 'x'.repeat(MAX_ENCRYPTION_CONTEXT_BYTES) }, euro]) {
      assert.equal(
        refusal(op, withAt(base, path, over)),
        `1 validation error detected: Value at '${label(path)}' failed to satisfy constraint: Member must have a size (UTF-8 bytes of its keys and values) less than or equal to ${MAX_ENCRYPTION_CONTEXT_BYTES}`,
      );
    }
  });
}

test('CreateGrant: a constraint value of 384 characters is accepted, 385 refused', () => {
  const body = (v: string): unknown => ({ ...BASE.CreateGrant, Constraints: { EncryptionContextEquals: { app: v } } });
  deserializeInput('CreateGrant', body('x'.repeat(MAX_GRANT_CONSTRAINT_VALUE_LENGTH)));
  assert.equal(
    refusal('CreateGrant', body('x'.repeat(MAX_GRANT_CONSTRAINT_VALUE_LENGTH + 1))),
    "1 validation error detected: Value at 'constraints.encryptionContextEquals' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 384]",
  );
});

test('an oversized context is refused without echoing it, and quickly', () => {
  const huge = pairs(40_000); // about the most a 1 MiB body holds
  const t0 = performance.now();
  const message = refusal('Encrypt', { ...BASE.Encrypt, EncryptionContext: huge });
  assert.ok(performance.now() - t0 < 500);
  assert.ok(message.length < 300, message);
});
