/**
 * AWS managed keys (https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key):
 * the key an AWS service uses for an account and region when no customer key is named, reached by
 * its alias `alias/aws/<service>`. KMS creates it at the alias's first use (DescribeKey, Encrypt,
 * GenerateDataKey, ...); it is symmetric, its KeyManager is AWS, its key policy is AWS's and cannot
 * be changed, its material rotates every year (which cannot be turned off), and it cannot be
 * deleted, disabled or re-aliased. The table is the services that have one (in us-east-1); the key
 * policy is the shape AWS gives them.
 */
import type { KeyRecord } from './key.ts';

export interface AwsManagedKeyService {
  /** The alias's last part: `alias/aws/<name>`. */
  readonly name: string;
  /** The service as the key policy's Sid and the key's description name it. */
  readonly label: string;
  /** The endpoint prefix of kms:ViaService (`<via>.<region>.amazonaws.com`); EBS keys are used through EC2. */
  readonly via: string;
  /**
   * ListAliases shows the alias (without a TargetKeyId) before the key exists, as AWS lists its
   * predefined aliases in every account.
   */
  readonly predefined: boolean;
  /** Whether the service's principals may also call CreateGrant through it (all but S3). */
  readonly createGrant: boolean;
}

const svc = (name: string, label: string, o: { via?: string; predefined?: boolean; createGrant?: boolean } = {}): AwsManagedKeyService =>
  ({ name, label, via: o.via ?? name, predefined: o.predefined ?? false, createGrant: o.createGrant ?? true });

/** Services with an AWS managed key, by alias name. */
export const AWS_MANAGED_KEY_SERVICES: readonly AwsManagedKeyService[] = [
  svc('acm', 'ACM', { predefined: true }),
  svc('appflow', 'Amazon AppFlow'),
  svc('backup', 'AWS Backup'),
  svc('cloud9', 'AWS Cloud9'),
  svc('codeartifact', 'AWS CodeArtifact'),
  svc('codecommit', 'AWS CodeCommit'),
  svc('connect', 'Amazon Connect'),
  svc('dax', 'Amazon DynamoDB Accelerator (DAX)'),
  svc('dms', 'AWS Database Migration Service'),
  svc('dynamodb', 'Amazon DynamoDB', { predefined: true }),
  svc('ebs', 'EBS', { via: 'ec2', predefined: true }),
  svc('ecr', 'Amazon ECR'),
  svc('eks', 'Amazon EKS'),
  svc('elasticache', 'Amazon ElastiCache'),
  svc('elasticfilesystem', 'Amazon Elastic File System', { predefined: true }),
  svc('es', 'Amazon OpenSearch Service', { predefined: true }),
  svc('fsx', 'Amazon FSx'),
  svc('glue', 'AWS Glue', { predefined: true }),
  svc('imagebuilder', 'EC2 Image Builder'),
  svc('kafka', 'Amazon MSK'),
  svc('kendra', 'Amazon Kendra'),
  svc('kinesis', 'Amazon Kinesis'),
  svc('kinesisvideo', 'Amazon Kinesis Video Streams', { predefined: true }),
  svc('lambda', 'AWS Lambda', { predefined: true }),
  svc('lex', 'Amazon Lex'),
  svc('lightsail', 'Amazon Lightsail'),
  svc('mq', 'Amazon MQ'),
  svc('rds', 'Amazon RDS', { predefined: true }),
  svc('redshift', 'Amazon Redshift', { predefined: true }),
  svc('s3', 'S3', { predefined: true, createGrant: false }),
  svc('secretsmanager', 'AWS Secrets Manager', { predefined: true }),
  svc('ses', 'Amazon SES'),
  svc('sns', 'Amazon SNS'),
  svc('sqs', 'Amazon SQS'),
  svc('ssm', 'AWS Systems Manager', { predefined: true }),
  svc('timestream', 'Amazon Timestream'),
  svc('translate', 'Amazon Translate'),
  svc('workspaces', 'Amazon WorkSpaces'),
  svc('xray', 'AWS X-Ray', { predefined: true }),
];

const BY_NAME: ReadonlyMap<string, AwsManagedKeyService> = new Map(AWS_MANAGED_KEY_SERVICES.map((s) => [s.name, s]));

export const AWS_ALIAS_PREFIX = 'alias/aws/';

/** The service of an alias name `alias/aws/<service>`, when AWS has a managed key for it. */
export function awsManagedService(aliasName: string): AwsManagedKeyService | undefined {
  return aliasName.startsWith(AWS_ALIAS_PREFIX) ? BY_NAME.get(aliasName.slice(AWS_ALIAS_PREFIX.length)) : undefined;
}

/** The alias names ListAliases shows before their key exists, in name order. */
export const PREDEFINED_AWS_ALIASES: readonly string[] = AWS_MANAGED_KEY_SERVICES.filter((s) => s.predefined).map((s) => `${AWS_ALIAS_PREFIX}${s.name}`).sort();

export const isAwsManaged = (k: Pick<KeyRecord, 'awsService'>): boolean => k.awsService !== undefined;

/** kms:ViaService of a call on an AWS managed key: Coffer takes it as made through the key's service. */
export const viaServiceOf = (s: AwsManagedKeyService, region: string): string => `${s.via}.${region}.amazonaws.com`;

export const awsManagedKeyDescription = (s: AwsManagedKeyService): string => `Default key that protects my ${s.label} data when no other key is defined`;

/**
 * AWS's key policy of an AWS managed key: the account's principals may use the key for
 * cryptography through the service (kms:CallerAccount, kms:ViaService), and read its metadata
 * directly; nobody may change, disable or delete it.
 */
export function awsManagedKeyPolicy(partition: string, accountId: string, region: string, s: AwsManagedKeyService): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Id: `auto-${s.name}-2`,
    Statement: [
      {
        Sid: `Allow access through ${s.label} for all principals in the account that are authorized to use ${s.label}`,
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', ...(s.createGrant ? ['kms:CreateGrant'] : []), 'kms:DescribeKey'],
        Resource: '*',
        Condition: { StringEquals: { 'kms:CallerAccount': accountId, 'kms:ViaService': viaServiceOf(s, region) } },
      },
      {
        Sid: 'Allow direct access to key metadata to the account',
        Effect: 'Allow',
        Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
        Action: ['kms:Describe*', 'kms:Get*', 'kms:List*', ...(s.createGrant ? ['kms:RevokeGrant'] : [])],
        Resource: '*',
      },
    ],
  }, null, 2);
}
