/**
 * The model of Coffer's own admin API (JSON 1.1, `X-Amz-Target: CofferAdminService.<Operation>`,
 * SigV4 scope `coffer`), written by hand in the shape of the AWS models (model.ts) so that the
 * same input reader validates it (protocol/validate.ts) and the same redaction writes its audit
 * records (audit/redact.ts): the new root user's secret is `sensitive`, so no record holds it.
 */
import type { KmsModel, Shape } from './model.ts';

export const COFFER_ADMIN_TARGET_PREFIX = 'CofferAdminService.';

export const cofferAdminModel: KmsModel = {
  metadata: { targetPrefix: 'CofferAdminService', signingName: 'coffer', jsonVersion: '1.1' },
  operations: {
    CreateAccount: { input: 'CreateAccountRequest', output: 'CreateAccountResponse', errors: ['ValidationException', 'EntityAlreadyExistsException', 'AccessDeniedException'] },
    ListAccounts: { input: 'ListAccountsRequest', output: 'ListAccountsResponse', errors: ['ValidationException', 'AccessDeniedException'] },
    GetAuditPublicKey: { input: 'GetAuditPublicKeyRequest', output: 'GetAuditPublicKeyResponse', errors: ['NotFoundException', 'AccessDeniedException'] },
    ExportAuditRecords: { input: 'ExportAuditRecordsRequest', output: 'ExportAuditRecordsResponse', errors: ['ValidationException', 'AccessDeniedException'] },
    ListAuditDigests: { input: 'ListAuditDigestsRequest', output: 'ListAuditDigestsResponse', errors: ['ValidationException', 'AccessDeniedException'] },
    PruneAuditTrail: { input: 'PruneAuditTrailRequest', output: 'PruneAuditTrailResponse', errors: ['ValidationException', 'AccessDeniedException'] },
  },
  shapes: {
    AccountIdType: { type: 'string', min: 12, max: 12, pattern: '^\\d{12}$' },
    AccessKeyIdType: { type: 'string' },
    SecretAccessKeyType: { type: 'string', sensitive: true },
    MarkerType: { type: 'string', min: 1, max: 320 },
    LimitType: { type: 'integer', min: 1, max: 1000 },
    DateType: { type: 'timestamp' },
    CreateAccountRequest: { type: 'structure', members: { AccountId: { shape: 'AccountIdType' } }, required: ['AccountId'] },
    CreateAccountResponse: {
      type: 'structure',
      members: { AccountId: { shape: 'AccountIdType' }, RootAccessKeyId: { shape: 'AccessKeyIdType' }, RootSecretAccessKey: { shape: 'SecretAccessKeyType' } },
    },
    ListAccountsRequest: { type: 'structure', members: { Marker: { shape: 'MarkerType' }, Limit: { shape: 'LimitType' } } },
    AccountListEntry: { type: 'structure', members: { AccountId: { shape: 'AccountIdType' }, CreatedAt: { shape: 'DateType' } } },
    AccountList: { type: 'list', member: { shape: 'AccountListEntry' } },
    ListAccountsResponse: { type: 'structure', members: { Accounts: { shape: 'AccountList' }, NextMarker: { shape: 'MarkerType' } } },
    // The audit trail (operations/coffer/admin-audit.ts). Times of the chain (digests) are epoch
    // milliseconds as stored, since a digest's signature covers them exactly.
    ChainType: { type: 'string', max: 128 },
    SeqType: { type: 'long', min: 0 },
    EpochMillisType: { type: 'long', min: 0 },
    HashType: { type: 'string', max: 128 },
    TextType: { type: 'string' },
    NextTokenType: { type: 'string', min: 1, max: 1024 },
    PageLimitType: { type: 'integer', min: 1, max: 1000 },
    GetAuditPublicKeyRequest: { type: 'structure', members: {} },
    GetAuditPublicKeyResponse: { type: 'structure', members: { KeyId: { shape: 'TextType' }, PublicKey: { shape: 'TextType' } } },
    ExportAuditRecordsRequest: {
      type: 'structure',
      members: { StartTime: { shape: 'DateType' }, EndTime: { shape: 'DateType' }, NextToken: { shape: 'NextTokenType' }, Limit: { shape: 'PageLimitType' } },
    },
    ExportedAuditRecord: {
      type: 'structure',
      members: { Chain: { shape: 'ChainType' }, Seq: { shape: 'SeqType' }, PrevHash: { shape: 'HashType' }, Hash: { shape: 'HashType' }, Record: { shape: 'TextType' } },
    },
    ExportedAuditRecordList: { type: 'list', member: { shape: 'ExportedAuditRecord' } },
    ExportAuditRecordsResponse: { type: 'structure', members: { Records: { shape: 'ExportedAuditRecordList' }, NextToken: { shape: 'NextTokenType' } } },
    ListAuditDigestsRequest: { type: 'structure', members: { NextToken: { shape: 'NextTokenType' }, Limit: { shape: 'PageLimitType' } } },
    AuditDigestEntry: {
      type: 'structure',
      members: {
        Chain: { shape: 'ChainType' }, SeqFrom: { shape: 'SeqType' }, SeqTo: { shape: 'SeqType' }, LastHash: { shape: 'HashType' },
        FirstTime: { shape: 'EpochMillisType' }, LastTime: { shape: 'EpochMillisType' }, CreatedAt: { shape: 'EpochMillisType' },
        PrevDigestHash: { shape: 'HashType' }, KeyId: { shape: 'TextType' }, Signature: { shape: 'TextType' },
      },
    },
    AuditDigestList: { type: 'list', member: { shape: 'AuditDigestEntry' } },
    AuditAnchorEntry: { type: 'structure', members: { Chain: { shape: 'ChainType' }, Seq: { shape: 'SeqType' }, Hash: { shape: 'HashType' } } },
    AuditAnchorList: { type: 'list', member: { shape: 'AuditAnchorEntry' } },
    ListAuditDigestsResponse: {
      type: 'structure',
      members: { Digests: { shape: 'AuditDigestList' }, Anchors: { shape: 'AuditAnchorList' }, NextToken: { shape: 'NextTokenType' } },
    },
    PruneAuditTrailRequest: { type: 'structure', members: { Before: { shape: 'DateType' } }, required: ['Before'] },
    PrunedChain: { type: 'structure', members: { Chain: { shape: 'ChainType' }, Pruned: { shape: 'SeqType' }, AnchorSeq: { shape: 'SeqType' } } },
    PrunedChainList: { type: 'list', member: { shape: 'PrunedChain' } },
    PruneAuditTrailResponse: { type: 'structure', members: { Pruned: { shape: 'SeqType' }, Chains: { shape: 'PrunedChainList' } } },
  },
};

export function cofferAdminShape(name: string): Shape {
  const shape = cofferAdminModel.shapes[name];
  if (!shape) throw new Error(`unknown shape ${name}`);
  return shape;
}
