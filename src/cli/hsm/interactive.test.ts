/** The interactive mode's line splitting (shell quotes, no expansion). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { words } from './interactive.ts';

test('words: plain words, quoted words with spaces, empty quotes; unbalanced quotes refused', () => {
  assert.deepEqual(words('key list --filter attr.label=x'), ['key', 'list', '--filter', 'attr.label=x']);
  assert.deepEqual(words(`key set-attribute --name label --value "two words" --x ''`), ['key', 'set-attribute', '--name', 'label', '--value', 'two words', '--x', '']);
  assert.deepEqual(words("  a='b c'd  "), ['a=b cd']);
  assert.deepEqual(words(''), []);
  assert.equal(words('"open'), undefined);
});
