/**
 * A fake ClusterKeyService for tests, on the in-memory HSM module: one cluster whose view the test
 * sets, and a kmsuser whose partition is a memory token per ACTIVE HSM (the user PIN is kmsuser's
 * password). Keys are generated on the first token only (no cluster-key replication: that is the
 * cluster side's, tested there); everything else is the real module's behaviour (wrong PIN,
 * wrong GCM tag, lost token).
 */
import { openMemoryHsmModule, type MemoryHsmModule } from '../../src/adapters/hsm/memory-module.ts';
import { connectErrorOf, KMS_USER, type ClusterView } from '../../src/domain/custom-key-store.ts';
import { HsmError, type TokenSession } from '../../src/ports/hsm.ts';
import type { ClusterKeyService, ClusterUserSessions } from '../../src/ports/cluster-keys.ts';

export interface FakeCluster extends ClusterKeyService {
  readonly module: MemoryHsmModule;
  view: ClusterKeyService['view'];
  /** The cluster as the key-store rules see it (undefined: deleted). */
  cluster: ClusterView | undefined;
  readonly serials: readonly string[];
  /** How many connects were made (each process opens its own sessions). */
  connects: number;
  /** Open ClusterUserSessions (closed ones leave). */
  readonly open: Set<ClusterUserSessions>;
  /** Whether a kmsuser exists. */
  userExists: boolean;
}

export async function fakeCluster(view: ClusterView, password: string): Promise<FakeCluster> {
  const module = openMemoryHsmModule();
  const serials: string[] = [];
  for (const h of view.activeHsms) {
    const t = await module.initToken(`coffer:${h.hsmId}`, 'so-pin-1234');
    const admin = await module.openAdmin(t.serial, 'so-pin-1234');
    await admin.initUserPin(password);
    await admin.close();
    serials.push(t.serial);
  }
  const open = new Set<ClusterUserSessions>();
  const fake: FakeCluster = {
    module, cluster: view, serials, connects: 0, open, userExists: true,
    view: async (_a, _r, clusterId) => (fake.cluster?.id === clusterId ? fake.cluster : undefined),
    connect: async (_a, _r, clusterId, username, pw) => {
      fake.connects++;
      if (fake.cluster?.id !== clusterId) return { ok: false, code: 'CLUSTER_NOT_FOUND', message: 'no such cluster' };
      if (fake.cluster.activeHsms.length === 0) return { ok: false, code: 'INSUFFICIENT_CLOUDHSM_HSMS', message: 'no ACTIVE HSM' };
      if (username !== KMS_USER || !fake.userExists) return { ok: false, code: 'USER_NOT_FOUND', message: 'no kmsuser' };
      const tokens: TokenSession[] = [];
      try {
        for (const serial of serials) tokens.push(await module.openSession(serial, pw));
      } catch (e) {
        for (const t of tokens) await t.close();
        return { ok: false, code: e instanceof HsmError ? connectErrorOf(e.kind) : 'INTERNAL_ERROR', message: e instanceof Error ? e.message : String(e) };
      }
      const primary = tokens[0] as TokenSession;
      const sessions: ClusterUserSessions = {
        generateAes256: async (keyRef, label) => {
          await primary.generateAes({ id: keyRef, label, usage: ['encrypt', 'decrypt'], wrapWithTrusted: false, extractable: false }, 32);
          return { blob: Buffer.concat([Buffer.from('fake-blob:'), keyRef]), hsms: 1 };
        },
        ensure: async (keyRef) => ((await primary.has(keyRef)) ? 1 : 0),
        encryptGcm: (keyRef, iv, aad, plaintext) => primary.encryptGcm(keyRef, iv, aad, plaintext),
        decryptGcm: (keyRef, iv, aad, ct) => primary.decryptGcm(keyRef, iv, aad, ct),
        random: (bytes) => primary.random(bytes),
        destroy: (keyRef) => primary.destroy(keyRef),
        close: async () => {
          open.delete(sessions);
          for (const t of tokens) await t.close();
        },
      };
      open.add(sessions);
      return { ok: true, sessions };
    },
  };
  return fake;
}
