/**
 * Operations of the model that a later issue implements (custom key stores). They answer
 * UnsupportedOperationException with a clear message rather than an unknown-operation error,
 * so clients learn what is missing.
 */
import { UnsupportedOperationException } from '../../errors/kms-errors.ts';
import type { Operation } from '../context.ts';

export const NOT_YET_IMPLEMENTED = [
  'CreateCustomKeyStore', 'ConnectCustomKeyStore', 'DisconnectCustomKeyStore', 'DeleteCustomKeyStore',
  'DescribeCustomKeyStores', 'UpdateCustomKeyStore',
] as const;

export const notYetOperations: readonly Operation[] = NOT_YET_IMPLEMENTED.map((name) => ({
  name,
  mutating: false,
  run: () => {
    throw new UnsupportedOperationException(`Coffer does not implement ${name} yet.`);
  },
}));
