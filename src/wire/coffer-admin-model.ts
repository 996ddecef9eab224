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
  },
};

export function cofferAdminShape(name: string): Shape {
  const shape = cofferAdminModel.shapes[name];
  if (!shape) throw new Error(`unknown shape ${name}`);
  return shape;
}
