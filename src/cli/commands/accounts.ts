/**
 * `coffer accounts create <id>` and `coffer accounts list`, on the storage (data-folder.ts). `create`
 * adds the account and its root credentials: the secret is written once to
 * `<data>/accounts/<id>/root-credentials.json` (mode 0600, folder 0700) and only that path is printed.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ACCOUNT_ID, newAccessKeyId, newSecretAccessKey } from '../../domain/identity.ts';
import { act, UsageError } from './action.ts';
import { dataFolder, privateDir, SERVER_STOPPED, withIdentities } from './data-folder.ts';

export const accountCredentialsFile = (dataDir: string, accountId: string): string => join(dataDir, 'accounts', accountId, 'root-credentials.json');

async function createAccount(accountId: string): Promise<void> {
  if (!ACCOUNT_ID.test(accountId)) throw new UsageError('accounts create needs a 12-digit account id, e.g. 444455556666');
  const { config, dataDir } = dataFolder();
  if (accountId === config.accountId) throw new Error(`account ${accountId} is the default account (COFFER_ACCOUNT_ID); it exists already`);
  await withIdentities(config, dataDir, async ({ repo, storage, notice }) => {
    if (await repo.getAccount(accountId)) throw new Error(`account ${accountId} exists already`);
    const creds = { accountId, accessKeyId: newAccessKeyId('AKIA'), secretAccessKey: newSecretAccessKey() };
    const file = accountCredentialsFile(dataDir, accountId);
    privateDir(resolve(file, '..'));
    // The file first (refusing to overwrite one), then the database: a failure leaves neither behind.
    writeFileSync(file, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    try {
      const now = Date.now();
      // On PostgreSQL running nodes read the notice and drop their cached identities.
      await storage.commit({
        notice,
        changes: [
          { kind: 'addAccount', account: { accountId, createDate: now } },
          { kind: 'putAccessKey', key: { accessKeyId: creds.accessKeyId, accountId, owner: 'root', secretAccessKey: creds.secretAccessKey, status: 'Active', createDate: now } },
        ],
      });
    } catch (e) {
      rmSync(file, { force: true });
      throw e;
    }
    console.log(`Created account ${accountId}.`);
    console.log(`Root credentials (account ${accountId}): ${file}`);
  });
}

async function listAccounts(): Promise<void> {
  const { config, dataDir } = dataFolder();
  const defaultAccountId = config.accountId;
  await withIdentities(config, dataDir, async ({ repo }) => {
    const accounts = await repo.listAccounts();
    if (!accounts.some((a) => a.accountId === defaultAccountId)) accounts.unshift({ accountId: defaultAccountId, createDate: 0 });
    for (const a of accounts) {
      const where = a.accountId === defaultAccountId
        ? 'default account; root credentials: COFFER_ROOT_* or root-credentials.json'
        : `root credentials: ${accountCredentialsFile(dataDir, a.accountId)}`;
      const users = (await repo.listUsers(a.accountId)).length, roles = (await repo.listRoles(a.accountId)).length;
      console.log(`${a.accountId}  ${users} user${users === 1 ? '' : 's'}, ${roles} role${roles === 1 ? '' : 's'}  (${where})`);
    }
  });
}

export function accountsCommand(program: Command): void {
  const accounts = program.command('accounts').description('accounts and their root credentials (server stopped, or PostgreSQL)')
    .addHelpText('after', `\n${SERVER_STOPPED}`);
  act(accounts.command('create').argument('<account-id>', '12-digit account id, e.g. 444455556666')
    .description('add an account; its root credentials go to <data>/accounts/<id>/root-credentials.json (mode 0600), only the path is printed')
    .addHelpText('after', `\n${SERVER_STOPPED}`),
  (cmd) => createAccount(String(cmd.processedArgs[0])));
  act(accounts.command('list').description('the accounts, their user and role counts, and where their root credentials are')
    .addHelpText('after', `\n${SERVER_STOPPED}`), () => listAccounts());
}
