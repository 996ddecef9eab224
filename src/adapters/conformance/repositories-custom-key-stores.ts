/**
 * The CustomKeyStoreRepository's conformance cases (run by repositories.ts for every adapter): a
 * store record (its sealed password's bytes included) reads back as put, conditional writes refuse
 * a stale revision, a name is unique per account and region, the due list follows the connection
 * states, and a deleted store is gone.
 */
import assert from 'node:assert/strict';
import type { CustomKeyStoreRecord } from '../../domain/custom-key-store.ts';
import type { CustomKeyStoreRepository } from '../../ports/custom-key-store-repository.ts';
import type { Storage } from '../../ports/storage.ts';
import { StorageConflict } from '../../errors/storage-conflict.ts';
import { ACCOUNT, OTHER_ACCOUNT } from './repositories-fixtures.ts';

export type CustomKeyStoreCase = (name: string, body: (stores: CustomKeyStoreRepository, storage: Storage) => Promise<void>) => void;

const store = (id: string, extra: Partial<CustomKeyStoreRecord> = {}): CustomKeyStoreRecord => ({
  id, accountId: ACCOUNT, region: 'us-east-1', name: `store-${id}`, type: 'AWS_CLOUDHSM', clusterId: 'cluster-aaaaaaaaaaa',
  trustAnchorPem: '-----BEGIN CERTIFICATE-----\nMII=\n-----END CERTIFICATE-----\n',
  sealedPassword: { domainKeyId: 'dk-1', wrapped: Buffer.from([0, 1, 2, 250, 255]) },
  state: 'DISCONNECTED', creationDate: 1_700_000_000_000, revision: 1, ...extra,
});

export function customKeyStoreConformanceCases(run: CustomKeyStoreCase): void {
  run('a custom key store reads back as put (sealed password bytes included); listed by account and region in id order', async (stores, storage) => {
    const a = store('cks-bbbbbbbbbbbbbbbbb', { state: 'FAILED', errorCode: 'INVALID_CREDENTIALS' });
    const b = store('cks-aaaaaaaaaaaaaaaaa');
    const other = store('cks-ccccccccccccccccc', { accountId: OTHER_ACCOUNT });
    const elsewhere = store('cks-ddddddddddddddddd', { region: 'eu-west-1' });
    await storage.commit({ changes: [a, b, other, elsewhere].map((s) => ({ kind: 'putCustomKeyStore', store: s, expectRevision: 0 })) });
    const back = await stores.getCustomKeyStore(a.id);
    assert.deepEqual(back, a);
    assert.ok(Buffer.isBuffer(back?.sealedPassword.wrapped));
    assert.equal(await stores.getCustomKeyStore('cks-zzzzzzzzzzzzzzzzz'), undefined);
    assert.deepEqual((await stores.listCustomKeyStores(ACCOUNT, 'us-east-1')).map((s) => s.id), [b.id, a.id]);
    assert.deepEqual((await stores.listCustomKeyStores(OTHER_ACCOUNT, 'us-east-1')).map((s) => s.id), [other.id]);
  });

  run('conditional store writes: 0 creates, n replaces only revision n; a name is unique per account and region; a refused commit applies nothing', async (stores, storage) => {
    const s = store('cks-aaaaaaaaaaaaaaaaa', { name: 'one' });
    await storage.commit({ changes: [{ kind: 'putCustomKeyStore', store: s, expectRevision: 0 }] });
    await assert.rejects(storage.commit({ changes: [
      { kind: 'putCustomKeyStore', store: store('cks-bbbbbbbbbbbbbbbbb'), expectRevision: 0 },
      { kind: 'putCustomKeyStore', store: { ...s, name: 'again' }, expectRevision: 0 },
    ] }), StorageConflict);
    assert.equal(await stores.getCustomKeyStore('cks-bbbbbbbbbbbbbbbbb'), undefined);
    // Another store under the same name in the same account and region conflicts; elsewhere it is fine.
    await assert.rejects(storage.commit({ changes: [{ kind: 'putCustomKeyStore', store: store('cks-ccccccccccccccccc', { name: 'one' }), expectRevision: 0 }] }), StorageConflict);
    await storage.commit({ changes: [{ kind: 'putCustomKeyStore', store: store('cks-ccccccccccccccccc', { name: 'one', accountId: OTHER_ACCOUNT }), expectRevision: 0 }] });
    // Two writers read revision 1 (a request and the connect job): the second is refused.
    await storage.commit({ changes: [{ kind: 'putCustomKeyStore', store: { ...s, state: 'CONNECTING', revision: 2 }, expectRevision: 1 }] });
    await assert.rejects(storage.commit({ changes: [{ kind: 'putCustomKeyStore', store: { ...s, name: 'renamed', revision: 2 }, expectRevision: 1 }] }), StorageConflict);
    const stored = await stores.getCustomKeyStore(s.id);
    assert.equal(stored?.state, 'CONNECTING');
    assert.equal(stored?.name, 'one');
    assert.equal(stored?.revision, 2);
    await assert.rejects(storage.commit({ changes: [{ kind: 'deleteCustomKeyStore', id: s.id, expectRevision: 1 }] }), StorageConflict);
    assert.notEqual(await stores.getCustomKeyStore(s.id), undefined);
  });

  run('the due list holds CONNECTING and DISCONNECTING stores; a deleted store is gone and its name free again', async (stores, storage) => {
    await storage.commit({ changes: [
      store('cks-aaaaaaaaaaaaaaaaa', { state: 'CONNECTING' }),
      store('cks-bbbbbbbbbbbbbbbbb', { state: 'CONNECTED' }),
      store('cks-ccccccccccccccccc', { state: 'DISCONNECTING' }),
      store('cks-ddddddddddddddddd', { state: 'FAILED', errorCode: 'USER_NOT_FOUND' }),
      store('cks-eeeeeeeeeeeeeeeee'),
    ].map((s) => ({ kind: 'putCustomKeyStore' as const, store: s })) });
    assert.deepEqual(await stores.customKeyStoresDue(), ['cks-aaaaaaaaaaaaaaaaa', 'cks-ccccccccccccccccc']);
    const a = await stores.getCustomKeyStore('cks-aaaaaaaaaaaaaaaaa') as CustomKeyStoreRecord;
    await storage.commit({ changes: [{ kind: 'putCustomKeyStore', store: { ...a, state: 'CONNECTED', revision: 2 }, expectRevision: 1 }] });
    assert.deepEqual(await stores.customKeyStoresDue(), ['cks-ccccccccccccccccc']);
    assert.deepEqual(await stores.customKeyStoreIds(), ['a', 'b', 'c', 'd', 'e'].map((x) => `cks-${x.repeat(17)}`), 'every store, whatever its state, in id order');
    await storage.commit({ changes: [{ kind: 'deleteCustomKeyStore', id: 'cks-eeeeeeeeeeeeeeeee', expectRevision: 1 }] });
    assert.equal(await stores.getCustomKeyStore('cks-eeeeeeeeeeeeeeeee'), undefined);
    assert.equal((await stores.customKeyStoreIds()).includes('cks-eeeeeeeeeeeeeeeee'), false);
    await storage.commit({ changes: [{ kind: 'putCustomKeyStore', store: store('cks-fffffffffffffffff', { name: 'store-cks-eeeeeeeeeeeeeeeee' }), expectRevision: 0 }] });
    assert.equal((await stores.listCustomKeyStores(ACCOUNT, 'us-east-1')).length, 5);
  });
}
