/** The HSM pool file's rules (domain/hsm-pool.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { claimablePoolEntry, parseHsmPool, poolSubnetMapping, type HsmPool } from './hsm-pool.ts';

const A = 'subnet-0a1b2c3d4e5f60718';
const B = 'subnet-0b2c3d4e5f6071829';
const problem = (doc: unknown): string => {
  const r = parseHsmPool(typeof doc === 'string' ? doc : JSON.stringify(doc));
  assert.ok('problem' in r, `expected a problem for ${JSON.stringify(doc)}`);
  return r.problem;
};
const pool = (doc: unknown): HsmPool => {
  const r = parseHsmPool(JSON.stringify(doc));
  assert.ok(!('problem' in r), JSON.stringify(r));
  return r;
};

test('a pool: tokens with their SO PIN and free slots, keyed stably', () => {
  const p = pool({ hsms: [
    { subnetId: A, availabilityZone: 'us-east-1a', tokenSerial: '5f3c1a9e2b7d4c60', soPin: 'so-pin-one' },
    { subnetId: A, availabilityZone: 'us-east-1a' },
    { subnetId: B, availabilityZone: 'us-east-1b' },
    { subnetId: B, availabilityZone: 'us-east-1b' },
  ] });
  assert.deepEqual(p.entries.map((e) => e.key), ['token:5f3c1a9e2b7d4c60', `slot:${A}#1`, `slot:${B}#1`, `slot:${B}#2`]);
  assert.deepEqual(p.entries[0]?.token, { serial: '5f3c1a9e2b7d4c60', soPin: 'so-pin-one' });
  assert.deepEqual(poolSubnetMapping(p, [B, A.toUpperCase().replace('SUBNET', 'subnet')]), { ok: true, mapping: { 'us-east-1b': B, 'us-east-1a': A } });
  const unknown = poolSubnetMapping(p, ['subnet-0fffffff']);
  assert.equal(unknown.ok, false);
  assert.equal(claimablePoolEntry(p, A, new Set())?.key, 'token:5f3c1a9e2b7d4c60');
  assert.equal(claimablePoolEntry(p, A, new Set(['token:5f3c1a9e2b7d4c60']))?.key, `slot:${A}#1`);
  assert.equal(claimablePoolEntry(p, A, new Set(['token:5f3c1a9e2b7d4c60', `slot:${A}#1`])), undefined);
});

test('what a pool file may not be, each said without echoing an SO PIN', () => {
  assert.match(problem('{'), /not JSON/);
  assert.match(problem({ hsm: [] }), /one field, "hsms"/);
  assert.match(problem({ hsms: [] }), /empty/);
  assert.match(problem({ hsms: [1] }), /entry 1 is not an object/);
  assert.match(problem({ hsms: [{ subnetId: A, availabilityZone: 'us-east-1a', module: '/x.so' }] }), /unknown field "module"/);
  assert.match(problem({ hsms: [{ subnetId: 'vpc-1', availabilityZone: 'us-east-1a' }] }), /"subnetId"/);
  assert.match(problem({ hsms: [{ subnetId: A, availabilityZone: 'east' }] }), /"availabilityZone"/);
  assert.match(problem({ hsms: [{ subnetId: A, availabilityZone: 'us-east-1a' }, { subnetId: A, availabilityZone: 'us-east-1b' }] }), /entry 2: subnet .* is in us-east-1a/);
  assert.match(problem({ hsms: [{ subnetId: A, availabilityZone: 'us-east-1a' }, { subnetId: B, availabilityZone: 'us-east-1a' }] }), /both in us-east-1a/);
  assert.match(problem({ hsms: [{ subnetId: A, availabilityZone: 'us-east-1a', soPin: 'secret-pin-value' }] }), /"soPin" goes with "tokenSerial"/);
  assert.match(problem({ hsms: [{ subnetId: A, availabilityZone: 'us-east-1a', tokenSerial: 'abc' }] }), /"soPin" .* is needed/);
  assert.match(problem({ hsms: [{ subnetId: A, availabilityZone: 'us-east-1a', tokenSerial: '01234567890123456', soPin: 'secret-pin-value' }] }), /"tokenSerial"/);
  const twice = { subnetId: A, availabilityZone: 'us-east-1a', tokenSerial: 'abc', soPin: 'secret-pin-value' };
  const said = problem({ hsms: [twice, twice] });
  assert.match(said, /listed twice/);
  for (const doc of [{ hsms: [twice, twice] }, { hsms: [{ ...twice, soPin: 'abc' }] }]) assert.doesNotMatch(problem(doc), /secret-pin-value|"abc"/);
});
