/**
 * `coffer keys rotate | rotations | schedule-deletion | cancel-deletion`: a key's rotations and
 * its deletion, through a running Coffer's KMS API.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { allPages, KEY_ID_ARG, kmsAction } from './kms.ts';
import { printRecord, printRows } from './output.ts';

const days = (value: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 7 || n > 30) throw new InvalidArgumentError('must be a whole number of days from 7 to 30');
  return n;
};

export function keysLifecycleCommands(keys: Command): void {
  kmsAction(keys.command('rotate').argument(...KEY_ID_ARG).description('rotate the key now: new key material, the old kept to decrypt (RotateKeyOnDemand)'),
    async ({ kms, options, cmd }) => {
      const r = await kms.rotateKeyOnDemand({ KeyId: String(cmd.processedArgs[0]) });
      printRecord(options.output, { KeyId: r.KeyId });
    });

  kmsAction(keys.command('rotations').argument(...KEY_ID_ARG).description('the key\'s completed rotations, on demand and automatic (ListKeyRotations)'),
    async ({ kms, options, cmd }) => {
      const KeyId = String(cmd.processedArgs[0]);
      const rotations = await allPages(async (Marker) => {
        const r = await kms.listKeyRotations({ KeyId, ...(Marker !== undefined ? { Marker } : {}) });
        return { items: r.Rotations, next: r.Truncated === true ? r.NextMarker : undefined };
      });
      printRows(options.output, rotations, [['KeyId', 'Key id'], ['RotationDate', 'Rotated'], ['RotationType', 'Type']]);
    });

  kmsAction(keys.command('schedule-deletion').argument(...KEY_ID_ARG).description('schedule the key\'s deletion after a waiting period (PendingDeletion until then)')
    .option('--days <7-30>', 'the waiting period in days', days, 30),
  async ({ kms, options, cmd }) => {
    const r = await kms.scheduleKeyDeletion({ KeyId: String(cmd.processedArgs[0]), PendingWindowInDays: cmd.opts<{ days: number }>().days });
    printRecord(options.output, { KeyId: r.KeyId, KeyState: r.KeyState, DeletionDate: r.DeletionDate, PendingWindowInDays: r.PendingWindowInDays });
  });

  kmsAction(keys.command('cancel-deletion').argument(...KEY_ID_ARG).description('cancel a scheduled deletion; the key is then Disabled, as in AWS KMS (enable it to use it)'),
    async ({ kms, options, cmd }) => {
      const r = await kms.cancelKeyDeletion({ KeyId: String(cmd.processedArgs[0]) });
      printRecord(options.output, { KeyId: r.KeyId });
    });
}
