/**
 * The six custom key store operations for AWS_CLOUDHSM stores (design/hsm-tier.md §4.1), with
 * domain/custom-key-store.ts's checks in AWS's order. IAM actions `kms:<Operation>` on `*`.
 * EXTERNAL_KEY_STORE is not implemented yet (UnsupportedOperationException).
 * - Create: the store in DISCONNECTED, its password sealed (the model marks it sensitive: never in
 *   an audit record), not checked until connect.
 * - Connect: answers at once; the store goes CONNECTING and the job (services/custom-key-stores.ts)
 *   makes it CONNECTED or FAILED. Disconnect: DISCONNECTING, the job closes the sessions.
 * - Describe: by id or name, or every store of the account and region, Limit/Marker paging.
 * - Update: name, password, or a related cluster. Delete: DISCONNECTED and no key left.
 */
import type {
  ConnectCustomKeyStoreRequest, CreateCustomKeyStoreRequest, CreateCustomKeyStoreResponse, CustomKeyStoresListEntry,
  DeleteCustomKeyStoreRequest, DescribeCustomKeyStoresRequest, DescribeCustomKeyStoresResponse, DisconnectCustomKeyStoreRequest,
  UpdateCustomKeyStoreRequest,
} from '@aws-sdk/client-kms';
import { randomBytes } from 'node:crypto';
import { ValidationException } from '../../errors/common-errors.ts';
import { CustomKeyStoreNotFoundException, UnsupportedOperationException } from '../../errors/kms-errors.ts';
import {
  connectProblem, createProblem, deleteProblem, disconnectProblem, newCustomKeyStoreId, updateProblem, type CustomKeyStoreRecord,
} from '../../domain/custom-key-store.ts';
import { sameCertificate } from '../../crypto/cluster-certificates.ts';
import { defineOperation, type OperationContext } from '../context.ts';
import { checkLimit, decodeMarker, page } from './common.ts';

const notXks = (type: string | undefined): void => {
  if (type === 'EXTERNAL_KEY_STORE') throw new UnsupportedOperationException('Coffer does not support EXTERNAL_KEY_STORE custom key stores yet.');
};

const required = (value: string | undefined, member: string): string => {
  if (value === undefined) throw new ValidationException(`${member} is required for an AWS_CLOUDHSM custom key store.`);
  return value;
};

async function storeOf(ctx: OperationContext, id: string): Promise<CustomKeyStoreRecord> {
  const s = await ctx.customKeyStores.get(id);
  if (s === undefined || s.accountId !== ctx.scope.accountId || s.region !== ctx.scope.region) {
    throw new CustomKeyStoreNotFoundException(`Custom key store ${id} does not exist.`);
  }
  return s;
}

/** Lineage ids of the clusters the account's stores use (CloudHsmClusterInUseException). */
async function lineages(ctx: OperationContext, stores: readonly CustomKeyStoreRecord[]): Promise<Map<string, string | undefined>> {
  const out = new Map<string, string | undefined>();
  for (const s of stores) {
    if (!out.has(s.clusterId)) out.set(s.clusterId, (await ctx.customKeyStores.service.view(s.accountId, s.region, s.clusterId))?.lineageId);
  }
  return out;
}

export const createCustomKeyStore = defineOperation<CreateCustomKeyStoreRequest, CreateCustomKeyStoreResponse>('CreateCustomKeyStore', async (input, ctx) => {
  await ctx.authorizeAccount('kms:CreateCustomKeyStore', '*');
  notXks(input.CustomKeyStoreType);
  const name = input.CustomKeyStoreName as string;
  const clusterId = required(input.CloudHsmClusterId, 'CloudHsmClusterId');
  const trustAnchorPem = required(input.TrustAnchorCertificate, 'TrustAnchorCertificate');
  const password = required(input.KeyStorePassword, 'KeyStorePassword');
  const { accountId, region } = ctx.scope;
  const stores = await ctx.customKeyStores.list(accountId, region);
  const cluster = await ctx.customKeyStores.service.view(accountId, region, clusterId);
  const lineage = await lineages(ctx, stores);
  const problem = createProblem({ name, clusterId, trustAnchorPem }, stores, cluster, (id) => lineage.get(id), sameCertificate);
  if (problem !== undefined) throw problem;
  const id = newCustomKeyStoreId(randomBytes(9));
  ctx.customKeyStores.put({
    id, accountId, region, name, type: 'AWS_CLOUDHSM', clusterId, trustAnchorPem,
    sealedPassword: ctx.customKeyStores.service.sealPassword(id, password),
    state: 'DISCONNECTED', creationDate: ctx.clock.now(), revision: 0,
  }, 0);
  return { CustomKeyStoreId: id };
});

function entry(s: CustomKeyStoreRecord): CustomKeyStoresListEntry {
  return {
    CustomKeyStoreId: s.id, CustomKeyStoreName: s.name, CloudHsmClusterId: s.clusterId, TrustAnchorCertificate: s.trustAnchorPem,
    ConnectionState: s.state, ...(s.state === 'FAILED' && s.errorCode !== undefined ? { ConnectionErrorCode: s.errorCode } : {}),
    CreationDate: new Date(s.creationDate), CustomKeyStoreType: s.type,
  };
}

export const describeCustomKeyStores = defineOperation<DescribeCustomKeyStoresRequest, DescribeCustomKeyStoresResponse>('DescribeCustomKeyStores', async (input, ctx) => {
  await ctx.authorizeAccount('kms:DescribeCustomKeyStores', '*');
  if (input.CustomKeyStoreId !== undefined && input.CustomKeyStoreName !== undefined) {
    throw new ValidationException('You cannot specify both CustomKeyStoreId and CustomKeyStoreName.');
  }
  const limit = checkLimit(input.Limit, 1000, 1000);
  const after = decodeMarker(input.Marker);
  let stores = await ctx.customKeyStores.list(ctx.scope.accountId, ctx.scope.region);
  if (input.CustomKeyStoreId !== undefined) {
    stores = stores.filter((s) => s.id === input.CustomKeyStoreId);
    if (stores.length === 0) throw new CustomKeyStoreNotFoundException(`Custom key store ${input.CustomKeyStoreId} does not exist.`);
  } else if (input.CustomKeyStoreName !== undefined) {
    stores = stores.filter((s) => s.name === input.CustomKeyStoreName);
    if (stores.length === 0) throw new CustomKeyStoreNotFoundException(`Custom key store named ${input.CustomKeyStoreName} does not exist.`);
  }
  const rows = stores.filter((s) => after === undefined || s.id > after).slice(0, limit + 1);
  const p = page(rows, limit, (s) => s.id);
  return { CustomKeyStores: p.items.map(entry), Truncated: p.Truncated, ...(p.NextMarker !== undefined ? { NextMarker: p.NextMarker } : {}) };
});

export const connectCustomKeyStore = defineOperation<ConnectCustomKeyStoreRequest, object>('ConnectCustomKeyStore', async (input, ctx) => {
  await ctx.authorizeAccount('kms:ConnectCustomKeyStore', '*');
  const s = await storeOf(ctx, input.CustomKeyStoreId as string);
  const problem = connectProblem(s, await ctx.customKeyStores.service.view(s.accountId, s.region, s.clusterId));
  if (problem === 'already') return {};
  if (problem !== undefined) throw problem;
  const { errorCode: _e, ...rest } = s;
  ctx.customKeyStores.put({ ...rest, state: 'CONNECTING' }, s.revision);
  ctx.customKeyStores.kick();
  return {};
});

export const disconnectCustomKeyStore = defineOperation<DisconnectCustomKeyStoreRequest, object>('DisconnectCustomKeyStore', async (input, ctx) => {
  await ctx.authorizeAccount('kms:DisconnectCustomKeyStore', '*');
  const s = await storeOf(ctx, input.CustomKeyStoreId as string);
  const problem = disconnectProblem(s);
  if (problem !== undefined) throw problem;
  const { errorCode: _e, ...rest } = s;
  ctx.customKeyStores.put({ ...rest, state: 'DISCONNECTING' }, s.revision);
  ctx.customKeyStores.kick();
  return {};
});

export const updateCustomKeyStore = defineOperation<UpdateCustomKeyStoreRequest, object>('UpdateCustomKeyStore', async (input, ctx) => {
  await ctx.authorizeAccount('kms:UpdateCustomKeyStore', '*');
  const s = await storeOf(ctx, input.CustomKeyStoreId as string);
  if (input.XksProxyUriEndpoint !== undefined || input.XksProxyUriPath !== undefined || input.XksProxyAuthenticationCredential !== undefined
    || input.XksProxyConnectivity !== undefined || input.XksProxyVpcEndpointServiceName !== undefined) {
    throw new UnsupportedOperationException('Coffer does not support EXTERNAL_KEY_STORE custom key stores yet.');
  }
  const stores = await ctx.customKeyStores.list(s.accountId, s.region);
  const current = await ctx.customKeyStores.service.view(s.accountId, s.region, s.clusterId);
  const next = input.CloudHsmClusterId !== undefined && input.CloudHsmClusterId !== s.clusterId
    ? await ctx.customKeyStores.service.view(s.accountId, s.region, input.CloudHsmClusterId) : undefined;
  const problem = updateProblem(s, {
    newName: input.NewCustomKeyStoreName, password: input.KeyStorePassword !== undefined, clusterId: input.CloudHsmClusterId,
  }, stores, current?.lineageId, next);
  if (problem !== undefined) throw problem;
  ctx.customKeyStores.put({
    ...s,
    ...(input.NewCustomKeyStoreName !== undefined ? { name: input.NewCustomKeyStoreName } : {}),
    ...(input.CloudHsmClusterId !== undefined ? { clusterId: input.CloudHsmClusterId } : {}),
    ...(input.KeyStorePassword !== undefined ? { sealedPassword: ctx.customKeyStores.service.sealPassword(s.id, input.KeyStorePassword) } : {}),
  }, s.revision);
  return {};
});

/** How many keys (every state, PendingDeletion included) the store holds. */
async function keysIn(ctx: OperationContext, s: CustomKeyStoreRecord): Promise<number> {
  let n = 0;
  let after: string | undefined;
  for (;;) {
    const batch = await ctx.keyring.repo.listKeys(s.accountId, s.region, after, 1000);
    n += batch.filter((k) => k.customKeyStoreId === s.id).length;
    if (batch.length < 1000) return n;
    after = batch[batch.length - 1]?.arn;
  }
}

export const deleteCustomKeyStore = defineOperation<DeleteCustomKeyStoreRequest, object>('DeleteCustomKeyStore', async (input, ctx) => {
  await ctx.authorizeAccount('kms:DeleteCustomKeyStore', '*');
  const s = await storeOf(ctx, input.CustomKeyStoreId as string);
  const problem = deleteProblem(s, s.state === 'DISCONNECTED' ? await keysIn(ctx, s) : 0);
  if (problem !== undefined) throw problem;
  ctx.customKeyStores.delete(s);
  return {};
});

export const customKeyStoreOperations = [
  createCustomKeyStore, describeCustomKeyStores, connectCustomKeyStore, disconnectCustomKeyStore, updateCustomKeyStore, deleteCustomKeyStore,
];
