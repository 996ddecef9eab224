/**
 * Hex SHA-256 through node:crypto's one-shot `hash` where Node has it (20.12 and later): no Hash
 * object per call, which matters on the request path (each native object is a weak handle the
 * garbage collector visits). Older Node 20 releases get a Hash object.
 */
import * as nodeCrypto from 'node:crypto';

export const sha256Hex: (data: string | Buffer) => string = typeof nodeCrypto.hash === 'function'
  ? (data) => nodeCrypto.hash('sha256', data, 'hex')
  : (data) => nodeCrypto.createHash('sha256').update(data).digest('hex');
