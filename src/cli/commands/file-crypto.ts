/**
 * `coffer encrypt` and `coffer decrypt`: files in the AWS Encryption SDK's format through a running
 * Coffer's KMS API (file-crypto/command.ts, which loads the Encryption SDK only when it runs).
 */
import type { Command } from 'commander';
import { checkOptions, DEFAULT_FRAME_LENGTH, type RawOptions } from '../file-crypto/args.ts';
import { act, collect } from './action.ts';
import { clientOptions, withClientOptions } from './client-options.ts';

const ENCRYPT_DESCRIPTION = `Encrypts a file or stdin in the AWS Encryption SDK's message format (framed, key-committing) under
a data key from Coffer's GenerateDataKey with the first --key-id (key id, key ARN, alias name or
alias ARN; further --key-id keys also encrypt the data key). --in/--out default to stdin/stdout.
The output file appears only when the whole input was encrypted.`;

const DECRYPT_DESCRIPTION = `Decrypts an AWS Encryption SDK message (from coffer encrypt or any ESDK) read from a file or stdin.
With --key-id, only those keys may decrypt its data key; without, any KMS key it names that the
caller may use (discovery). Every --context pair must be in the message's encryption context.
A file given as --out is written only when the whole message authenticated; to stdout (the
default) each frame is written once it authenticated (a signed message's signature is checked at
its end: trust stdout output only after exit status 0).`;

const EXIT = 'Exit status: 0 done, 1 failed (tampered, wrong context, KMS refused: its error name is printed), 2 usage.';

function fileCrypto(program: Command, command: 'encrypt' | 'decrypt'): Command {
  const cmd = program.command(command).description(command === 'encrypt' ? ENCRYPT_DESCRIPTION : DECRYPT_DESCRIPTION)
    .summary(command === 'encrypt' ? 'encrypt a file or stdin in the AWS Encryption SDK\'s format' : 'decrypt an AWS Encryption SDK message')
    .option('--in <file>', 'the input file, - for stdin', '-')
    .option('--out <file>', 'the output file, - for stdout', '-');
  if (command === 'encrypt') {
    cmd.option('--key-id <key>', 'key id, key ARN, alias name or alias ARN; the first generates the data key, the others encrypt it too (repeatable, one at least)', collect)
      .option('--context <name=value>', 'encryption context, bound to the message and sent to KMS (repeatable)', collect)
      .option('--signed', 'the ECDSA P-384 signed suite (the ESDK\'s default; slower) instead of ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY')
      .option('--frame-length <bytes>', `plaintext bytes per frame (default ${DEFAULT_FRAME_LENGTH})`);
  } else {
    cmd.option('--key-id <key>', 'the keys allowed to decrypt the data key (repeatable; default: every key the message names, discovery)', collect)
      .option('--context <name=value>', 'a pair the message\'s encryption context must hold (repeatable)', collect);
  }
  withClientOptions(cmd, { output: false });
  cmd.addHelpText('after', `\n${EXIT}`);
  return act(cmd, async (c) => {
    const raw = c.opts<RawOptions>();
    const parsed = checkOptions(command, { ...raw, endpointUrl: clientOptions(c, process.env).endpointUrl });
    return (await import('../file-crypto/command.ts')).runFileCrypto(command, parsed, process.env);
  });
}

export function fileCryptoCommands(program: Command): void {
  fileCrypto(program, 'encrypt');
  fileCrypto(program, 'decrypt');
}
