/**
 * CloudTrail records (reference KMS.md §4): one per API call, allowed, denied or failed, and one
 * per service event (the scheduler deleting or rotating a key). requestParameters and
 * responseElements come from redact.ts, so no plaintext, key material, credential or blob is ever
 * in a record; responseElements are kept only for calls that change state, as CloudTrail does.
 */
import { getShape, kmsModel } from '../wire/model.ts';
import { iamModel, queryShape, stsModel, type QueryModel } from '../wire/query-model.ts';
import { cloudHsmModel, cloudHsmShape } from '../wire/cloudhsm-model.ts';
import { cofferAdminModel, cofferAdminShape } from '../wire/coffer-admin-model.ts';
import type { ApiCall, AuditService, RecordIndex } from '../ports/audit.ts';
import { operationFacts } from '../wire/operation-table.ts';
import type { Caller } from '../domain/principal.ts';
import { redact, type ShapeLookup } from './redact.ts';
import { recordIndexOf } from './record-index.ts';

export const EVENT_VERSION = '1.11';

export type CloudTrailRecord = Record<string, unknown>;

/** The facts a record needs besides the call: its id and time, and the server's default account. */
export interface RecordMeta {
  readonly eventId: string;
  /** Epoch milliseconds (the domain clock). */
  readonly eventTime: number;
  readonly defaultAccountId: string;
}

export type { RecordIndex } from '../ports/audit.ts';

/** CloudTrail's readOnly, from the operation table (a name no service has is not read-only). */
export function isReadOnly(service: AuditService, operation: string): boolean {
  return operationFacts(service, operation)?.readOnly ?? false;
}

export const eventSourceOf = (service: AuditService): string => `${service}.amazonaws.com`;

const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** eventTime of records in the same second as the last one: formatted once per second. */
let lastSecond = Number.NaN;
let lastSecondText = '';
function eventTimeOf(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastSecondText = isoSeconds(ms);
  }
  return lastSecondText;
}

interface ServiceModel {
  readonly lookup: ShapeLookup;
  readonly operations: Readonly<Record<string, { readonly input?: string; readonly output?: string }>>;
}
const queryLookup = (m: QueryModel): ShapeLookup => (name) => queryShape(m, name);
const MODELS: Readonly<Record<Exclude<AuditService, 'cloudtrail'>, ServiceModel>> = {
  kms: { lookup: getShape, operations: kmsModel.operations },
  iam: { lookup: queryLookup(iamModel), operations: iamModel.operations },
  sts: { lookup: queryLookup(stsModel), operations: stsModel.operations },
  cloudhsm: { lookup: cloudHsmShape, operations: cloudHsmModel.operations },
  coffer: { lookup: cofferAdminShape, operations: cofferAdminModel.operations },
};

/** LookupEvents' own parameters (no model is loaded for CloudTrail): every member is plain. */
function cloudTrailParameters(input: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> | null {
  if (input === undefined) return null;
  const out: Record<string, unknown> = {};
  const attrs = input.LookupAttributes;
  if (Array.isArray(attrs)) {
    out.lookupAttributes = attrs.map((a: { AttributeKey?: unknown; AttributeValue?: unknown }) => ({ attributeKey: a.AttributeKey, attributeValue: a.AttributeValue }));
  }
  for (const [k, v] of Object.entries(input)) {
    if (k === 'LookupAttributes') continue;
    if (v instanceof Date) out[k.charAt(0).toLowerCase() + k.slice(1)] = isoSeconds(v.getTime());
    else if (typeof v === 'string' || typeof v === 'number') out[k.charAt(0).toLowerCase() + k.slice(1)] = v;
  }
  return Object.keys(out).length > 0 ? out : null;
}

/** A caller's userIdentity, built once per Caller object (callers are cached by the credential resolver); never mutated. */
const identities = new WeakMap<Caller, Readonly<Record<string, unknown>>>();

function userIdentity(call: ApiCall, defaultAccountId: string): Readonly<Record<string, unknown>> {
  const c = call.caller;
  if (c === undefined && call.invokedBy !== undefined) return { type: 'AWSService', invokedBy: call.invokedBy.name, accountId: call.invokedBy.accountId };
  if (c === undefined) {
    return { type: 'Unknown', ...(call.accessKeyId !== undefined ? { accessKeyId: call.accessKeyId } : {}), accountId: defaultAccountId };
  }
  let known = identities.get(c);
  if (known === undefined) {
    known = callerIdentity(c);
    identities.set(c, known);
  }
  return known;
}

function callerIdentity(c: Caller): Record<string, unknown> {
  const base = { type: c.type, principalId: c.userId, arn: c.arn, accountId: c.accountId, accessKeyId: c.accessKeyId };
  if (c.type === 'IAMUser') return { ...base, userName: c.username };
  if (c.type === 'AssumedRole' && c.roleArn !== undefined) {
    const roleName = c.roleArn.slice(c.roleArn.lastIndexOf('/') + 1);
    return {
      ...base,
      sessionContext: {
        sessionIssuer: { type: 'Role', principalId: c.userId.split(':')[0], arn: c.roleArn, accountId: c.accountId, userName: roleName },
        attributes: { mfaAuthenticated: 'false' },
      },
    };
  }
  return base;
}

const ARN_ACCOUNT = /^arn:[^:]+:[^:]+:[^:]*:(\d{12}):/;

/** A record's resource entry by ARN (the same keys recur on every call); bounded. */
const resourceEntries = new Map<string, { readonly accountId: string | undefined; readonly type: string }>();
function resourceEntry(arn: string): { readonly accountId: string | undefined; readonly type: string } {
  let e = resourceEntries.get(arn);
  if (e === undefined) {
    e = { accountId: ARN_ACCOUNT.exec(arn)?.[1], type: resourceType(arn) };
    if (resourceEntries.size >= 10_000) resourceEntries.clear();
    resourceEntries.set(arn, e);
  }
  return e;
}

export function resourceType(arn: string): string {
  if (/^arn:[^:]+:kms:[^:]*:\d{12}:key\//.test(arn)) return 'AWS::KMS::Key';
  if (/^arn:[^:]+:kms:[^:]*:\d{12}:alias\//.test(arn)) return 'AWS::KMS::Alias';
  if (/^arn:[^:]+:cloudhsm:[^:]*:\d{12}:cluster\//.test(arn)) return 'AWS::CloudHSM::Cluster';
  const iam = /^arn:[^:]+:iam::\d{12}:(user|role|group|policy)\//.exec(arn)?.[1];
  if (iam !== undefined) return `AWS::IAM::${iam.charAt(0).toUpperCase()}${iam.slice(1)}`;
  return 'AWS::Resource';
}

function callResources(call: ApiCall): string[] {
  const arns = new Set(call.resources);
  const account = call.caller?.accountId;
  const input = call.input;
  if (call.service === 'kms' && account !== undefined && typeof input?.AliasName === 'string' && input.AliasName.startsWith('alias/')) {
    arns.add(`arn:aws:kms:${call.region}:${account}:${input.AliasName}`);
  }
  if (call.service === 'sts' && typeof input?.RoleArn === 'string') arns.add(input.RoleArn);
  const meta = (call.output as { KeyMetadata?: { Arn?: unknown } } | undefined)?.KeyMetadata;
  if (typeof meta?.Arn === 'string') arns.add(meta.Arn);
  return [...arns];
}

/** The record of one API call, with what the store indexes it by (read from the record: record-index.ts). */
export function apiCallRecord(call: ApiCall, meta: RecordMeta): { record: CloudTrailRecord; index: RecordIndex } {
  const readOnly = isReadOnly(call.service, call.operation);
  const model = call.service === 'cloudtrail' ? undefined : MODELS[call.service];
  const op = model?.operations[call.operation];
  const requestParameters = call.service === 'cloudtrail'
    ? cloudTrailParameters(call.input)
    : model !== undefined && op !== undefined ? redact(model.lookup, op.input, call.input, false) : null;
  const responseElements = !readOnly && call.error === undefined && model !== undefined && op !== undefined
    ? redact(model.lookup, op.output, call.output, true)
    : null;
  const accountId = call.caller?.accountId ?? call.invokedBy?.accountId ?? meta.defaultAccountId;
  const arns = callResources(call);
  const described = arns.map((arn) => ({ arn, ...resourceEntry(arn) }));
  const record: CloudTrailRecord = {
    eventVersion: EVENT_VERSION,
    userIdentity: userIdentity(call, meta.defaultAccountId),
    eventTime: eventTimeOf(meta.eventTime),
    eventSource: eventSourceOf(call.service),
    eventName: call.operation,
    awsRegion: call.region,
    sourceIPAddress: call.request.sourceIp,
    userAgent: call.request.userAgent,
    ...(call.error !== undefined ? { errorCode: call.error.code, errorMessage: call.error.message } : {}),
    requestParameters,
    responseElements,
    requestID: call.requestId,
    eventID: meta.eventId,
    readOnly,
    ...(described.length > 0
      ? { resources: described.map((d) => ({ accountId: d.accountId ?? accountId, type: d.type, ARN: d.arn })) }
      : {}),
    eventType: call.invokedBy !== undefined ? 'AwsServiceEvent' : 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: accountId,
    eventCategory: 'Management',
  };
  return { record, index: recordIndexOf(record) };
}

/** The record of something Coffer did by itself (eventType AwsServiceEvent) to a key. */
export function serviceEventRecord(eventName: string, keyArn: string, meta: RecordMeta): { record: CloudTrailRecord; index: RecordIndex } {
  const parts = keyArn.split(':');
  const region = parts[3] ?? '';
  const accountId = parts[4] ?? meta.defaultAccountId;
  const keyId = keyArn.slice(keyArn.lastIndexOf('/') + 1);
  const record: CloudTrailRecord = {
    eventVersion: EVENT_VERSION,
    userIdentity: { accountId, invokedBy: 'AWS Internal' },
    eventTime: isoSeconds(meta.eventTime),
    eventSource: 'kms.amazonaws.com',
    eventName,
    awsRegion: region,
    sourceIPAddress: 'AWS Internal',
    userAgent: 'AWS Internal',
    requestParameters: null,
    responseElements: null,
    eventID: meta.eventId,
    readOnly: false,
    resources: [{ accountId, type: 'AWS::KMS::Key', ARN: keyArn }],
    eventType: 'AwsServiceEvent',
    managementEvent: true,
    recipientAccountId: accountId,
    serviceEventDetails: { keyId },
    eventCategory: 'Management',
  };
  return { record, index: recordIndexOf(record) };
}

/**
 * The record that marks a gap: `dropped` calls went unrecorded between `from` and `to` because the
 * trail could not be written and the operator chose availability (COFFER_AUDIT_ON_FAILURE=continue).
 * It is chained like every record, so the gap is part of the verified trail.
 */
export function droppedRecordsRecord(dropped: number, from: number, to: number, meta: RecordMeta): { record: CloudTrailRecord; index: RecordIndex } {
  const accountId = meta.defaultAccountId;
  const record: CloudTrailRecord = {
    eventVersion: EVENT_VERSION,
    userIdentity: { accountId, invokedBy: 'AWS Internal' },
    eventTime: isoSeconds(meta.eventTime),
    eventSource: 'kms.amazonaws.com',
    eventName: 'AuditRecordsDropped',
    awsRegion: '',
    sourceIPAddress: 'AWS Internal',
    userAgent: 'AWS Internal',
    requestParameters: null,
    responseElements: null,
    eventID: meta.eventId,
    readOnly: false,
    eventType: 'AwsServiceEvent',
    managementEvent: true,
    recipientAccountId: accountId,
    serviceEventDetails: { droppedRecords: dropped, firstDroppedAt: isoSeconds(from), lastDroppedAt: isoSeconds(to) },
    eventCategory: 'Management',
  };
  return {
    record,
    index: {
      eventName: 'AuditRecordsDropped', eventSource: 'kms.amazonaws.com', readOnly: false, username: undefined, accessKeyId: undefined,
      accountId, ownerAccountId: undefined, resources: [],
    },
  };
}
