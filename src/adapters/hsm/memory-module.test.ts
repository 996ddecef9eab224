/** What only the in-memory module has: a cap on its slots (a SoftHSM always has a free one). The rest is in the conformance suite. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HsmError } from '../../ports/hsm.ts';
import { openMemoryHsmModule } from './memory-module.ts';

test("with every slot taken, initToken is 'no-free-slot' and tokens() lists no free slot", async () => {
  const m = openMemoryHsmModule({ slots: 2 });
  await m.initToken('a', 'so-pin-0000');
  assert.equal((await m.tokens()).filter((t) => !t.initialized).length, 1);
  await m.initToken('b', 'so-pin-0000');
  assert.deepEqual((await m.tokens()).map((t) => [t.label, t.initialized]), [['a', true], ['b', true]]);
  await assert.rejects(m.initToken('c', 'so-pin-0000'), (e: unknown) => e instanceof HsmError && e.kind === 'no-free-slot' && e.code === 'COFFER_NO_FREE_SLOT');
});
