import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from './config.ts';
import { checkOpenFileLimit, parseOpenFileLimit, RESERVED_FILES } from './open-file-limit.ts';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max processes             96367                96367                processes
Max open files            1024                 524288               files
Max locked memory         8388608              8388608              bytes
`;

test('the soft open-file limit is read from /proc/self/limits text', () => {
  assert.equal(parseOpenFileLimit(LIMITS), 1024);
  assert.equal(parseOpenFileLimit(LIMITS.replace('1024     ', 'unlimited')), undefined);
  assert.equal(parseOpenFileLimit('nothing here'), undefined);
});

test('a connection cap that leaves fewer than the reserved descriptors stops start-up, naming the variable', () => {
  checkOpenFileLimit(512, 1024);
  checkOpenFileLimit(1024 - RESERVED_FILES, 1024);
  checkOpenFileLimit(100_000, undefined);
  assert.throws(() => checkOpenFileLimit(1024 - RESERVED_FILES + 1, 1024), (e: Error) => e instanceof ConfigError && /COFFER_MAX_CONNECTIONS \(961\).*ulimit -n: 1024.*at most 960/.test(e.message));
  assert.throws(() => checkOpenFileLimit(512, 256), ConfigError);
});
