/** CloudHSM's key attribute rules as Coffer keeps them (design/hsm-tier.md §3.4), filters and visibility. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  changedAttributes, HsmKeyProblem, keyShape, matches, newKeyAttributes, parseAssignments, parseFilter, usableBy, visibleTo, type HsmKeyRecord,
} from './hsm-keys.ts';

const given = (...items: string[]) => parseAssignments(items);
const key = (over: Partial<HsmKeyRecord> = {}): HsmKeyRecord => ({
  keyReference: '0x00000000001c0686', owner: 'alice', sharedUsers: ['bob'], class: 'private-key', keyType: 'ec',
  attributes: newKeyAttributes('private-key', 'ec', 'ec-priv', given('sign=true'), { curve: 'secp256r1' }), hsms: ['hsm-a'], createdAt: 0, ...over,
});

test('new keys: CloudHSM defaults, the given attributes checked against the key kind', () => {
  const aes = newKeyAttributes('secret-key', 'aes', 'k', given('encrypt=true', 'extractable=false'), { 'key-length-bytes': 32 });
  assert.deepEqual([aes.class, aes['key-type'], aes.encrypt, aes.decrypt, aes.sign, aes.extractable, aes['never-extractable'], aes.token, aes.private, aes.sensitive],
    ['secret-key', 'aes', true, false, true, false, true, true, true, true]);
  const pub = newKeyAttributes('public-key', 'rsa', 'p', given(), {});
  assert.deepEqual([pub.private, pub.sensitive, pub.extractable, pub.verify], [false, false, true, false]);
  for (const [cls, type, items, why] of [
    ['public-key', 'ec', ['sign=true'], /cannot have sign=true/],
    ['private-key', 'ec', ['decrypt=true'], /cannot have decrypt=true/],
    ['secret-key', 'generic-secret', ['encrypt=true'], /cannot have encrypt=true/],
    ['secret-key', 'aes', ['trusted=true'], /Only an admin/],
    ['secret-key', 'aes', ['token=false'], /session keys are not offered/],
    ['secret-key', 'aes', ['derive=true'], /derive/],
    ['secret-key', 'aes', ['sign=maybe'], /true or false/],
    ['secret-key', 'aes', ['check-value=0x00'], /cannot be set/],
    ['secret-key', 'aes', ['id=12'], /0x/],
    ['public-key', 'rsa', ['extractable=false'], /always extractable/],
  ] as const) {
    assert.throws(() => newKeyAttributes(cls, type, 'x', given(...items), {}), (e: unknown) => e instanceof HsmKeyProblem && why.test(e.message), items.join(' '));
  }
  assert.throws(() => newKeyAttributes('secret-key', 'aes', '', given(), {}), /label/);
  assert.throws(() => parseAssignments(['a=1', 'A=2']), /given twice/);
  assert.throws(() => parseAssignments(['novalue']), /KEY_ATTRIBUTE_NAME=KEY_ATTRIBUTE_VALUE/);
});

test('set-attribute: usage and label freely; modifiable/destroyable true → false only; wrap-with-trusted sticks; trusted is an admin\'s; nothing on a key not modifiable', () => {
  const k = key();
  assert.equal(changedAttributes(k, 'label', 'new', false).label, 'new');
  assert.equal(changedAttributes(k, 'sign', 'false', false).sign, false);
  assert.throws(() => changedAttributes(k, 'decrypt', 'true', false), /cannot have decrypt=true/);
  assert.throws(() => changedAttributes(k, 'curve', 'secp384r1', false), /read-only/);
  assert.throws(() => changedAttributes(k, 'key-type', 'rsa', false), /read-only/);
  assert.throws(() => changedAttributes(k, 'token', 'false', false), /session key/);
  const fixed = { ...k, attributes: changedAttributes(k, 'destroyable', 'false', false) };
  assert.throws(() => changedAttributes(fixed, 'destroyable', 'true', false), /true to false only/);
  const wwt = { ...k, attributes: changedAttributes(k, 'wrap-with-trusted', 'true', false) };
  assert.throws(() => changedAttributes(wwt, 'wrap-with-trusted', 'false', false), /read-only once true/);
  assert.throws(() => changedAttributes(k, 'trusted', 'true', false), /Only an admin/);
  assert.throws(() => changedAttributes(k, 'label', 'x', true), /only the trusted attribute/);
  const locked = { ...k, attributes: changedAttributes(k, 'modifiable', 'false', false) };
  assert.throws(() => changedAttributes(locked, 'label', 'x', false), /not modifiable/);
  assert.equal(changedAttributes(locked, 'trusted', 'true', true).trusted, true);
});

test('filters: key-reference by value, attr.NAME=VALUE case-insensitively, all terms; visibility: owner, sharees, every public key', () => {
  const k = key();
  assert.ok(matches(k, parseFilter(['key-reference=0x1c0686'])));
  assert.ok(matches(k, parseFilter(['attr.label=EC-PRIV', 'attr.class=private-key', 'attr.sign=true'])));
  assert.ok(!matches(k, parseFilter(['attr.label=ec-priv', 'attr.class=public-key'])));
  assert.ok(!matches(k, parseFilter(['attr.nothing=x'])));
  assert.throws(() => parseFilter(['label=x']), /attr\.KEY_ATTRIBUTE_NAME/);
  assert.throws(() => parseFilter(['key-reference=12']), /0x/);
  assert.ok(visibleTo(k, 'alice') && visibleTo(k, 'bob') && !visibleTo(k, 'eve'));
  assert.ok(usableBy(k, 'bob') && !usableBy(k, 'eve'));
  assert.ok(visibleTo({ ...k, class: 'public-key', sharedUsers: [] }, 'eve'));
  const shape = keyShape(k, ['hsm-a', 'hsm-b'], false);
  assert.deepEqual(shape.attributes, { label: 'ec-priv' });
  assert.equal((shape['key-info'] as Record<string, unknown>)['cluster-coverage'], 'partial');
  assert.equal((keyShape(k, ['hsm-a'], true)['key-info'] as Record<string, unknown>)['cluster-coverage'], 'full');
});
