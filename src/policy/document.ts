/**
 * Key policy documents: AWS's default key policy, and the validation every stored policy passes
 * (parse.ts: MalformedPolicyDocumentException with a reason, LimitExceededException over 32 KB).
 */
import { DEFAULT_MAX_SIZE, parsePolicy, type Policy } from './parse.ts';

/** AWS KMS quota: 32 KB per key policy (the model's 131072-character maximum is the shape limit). */
export const MAX_POLICY_BYTES = DEFAULT_MAX_SIZE.resource;

export function defaultKeyPolicy(partition: string, accountId: string): string {
  return JSON.stringify(
    {
      Version: '2012-10-17',
      Id: 'key-default-1',
      Statement: [
        {
          Sid: 'Enable IAM User Permissions',
          Effect: 'Allow',
          Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
      ],
    },
    null,
    2,
  );
}

/**
 * Validates a key policy (MalformedPolicyDocumentException with a reason, LimitExceededException
 * over 32 KB) and returns it parsed, ready for evaluation.
 */
export function validatePolicyDocument(text: string): Policy {
  return parsePolicy(text, 'resource', { maxBytes: MAX_POLICY_BYTES });
}
