// Generates src/wire/iam-model.json and src/wire/sts-model.json from the botocore IAM and STS
// models (AWS Query protocol): the operations Coffer implements (input/output shape names, the
// output's resultWrapper, modeled errors) and every shape they reach, stripped to what validation
// and XML serialization need. Documentation and presentation-only fields are dropped.
//
//   node scripts/gen-query-models.mjs [path/to/specs]
//
// The default source folder is ../shared/specs relative to the repo root. Output is deterministic
// (operations and shapes sorted by name, model member order kept, 2-space indent).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const specs = resolve(repoRoot, process.argv[2] ?? '../shared/specs');

const SERVICES = {
  iam: {
    source: 'iam-service-2.json',
    // IAM answers every policy document URL-encoded; botocore's json_decode_policies decodes the
    // members whose shape is policyDocumentType.
    urlEncodedShapes: ['policyDocumentType'],
    operations: [
      'CreateUser', 'GetUser', 'ListUsers', 'DeleteUser',
      'CreateAccessKey', 'ListAccessKeys', 'UpdateAccessKey', 'DeleteAccessKey',
      'CreateRole', 'GetRole', 'ListRoles', 'DeleteRole', 'UpdateAssumeRolePolicy',
      'CreateGroup', 'GetGroup', 'ListGroups', 'DeleteGroup', 'AddUserToGroup', 'RemoveUserFromGroup', 'ListGroupsForUser',
      'PutUserPolicy', 'GetUserPolicy', 'ListUserPolicies', 'DeleteUserPolicy',
      'PutRolePolicy', 'GetRolePolicy', 'ListRolePolicies', 'DeleteRolePolicy',
      'PutGroupPolicy', 'GetGroupPolicy', 'ListGroupPolicies', 'DeleteGroupPolicy',
      'CreatePolicy', 'GetPolicy', 'GetPolicyVersion', 'ListPolicies', 'DeletePolicy',
      'AttachUserPolicy', 'DetachUserPolicy', 'ListAttachedUserPolicies',
      'AttachRolePolicy', 'DetachRolePolicy', 'ListAttachedRolePolicies',
      'AttachGroupPolicy', 'DetachGroupPolicy', 'ListAttachedGroupPolicies',
      'TagUser', 'UntagUser', 'ListUserTags', 'TagRole', 'UntagRole', 'ListRoleTags',
    ],
  },
  sts: {
    source: 'sts-service-2.json',
    urlEncodedShapes: [],
    operations: ['AssumeRole', 'GetCallerIdentity'],
  },
};

const SHAPE_KEYS = ['type', 'required', 'members', 'member', 'key', 'value', 'min', 'max', 'pattern', 'enum', 'sensitive', 'exception', 'error'];
const REF_KEYS = ['shape'];
const METADATA_KEYS = ['apiVersion', 'endpointPrefix', 'protocol', 'serviceAbbreviation', 'serviceFullName', 'serviceId', 'signatureVersion', 'uid', 'xmlNamespace'];
/** Query-protocol serialization traits Coffer's serializer does not implement: refuse rather than mis-serialize. */
const UNSUPPORTED = ['flattened', 'locationName', 'xmlAttribute', 'xmlNamespace', 'union'];

const pick = (obj, keys) => {
  const out = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
};

function generate(name, svc) {
  const model = JSON.parse(readFileSync(resolve(specs, svc.source), 'utf8'));
  const operations = {};
  const wanted = new Set();
  const want = (shape) => {
    if (shape === undefined || wanted.has(shape)) return;
    const s = model.shapes[shape];
    if (!s) throw new Error(`${name}: unknown shape ${shape}`);
    wanted.add(shape);
    for (const ref of [...Object.values(s.members ?? {}), s.member, s.key, s.value]) if (ref) want(ref.shape);
  };
  for (const opName of [...svc.operations].sort()) {
    const op = model.operations[opName];
    if (!op) throw new Error(`${name}: unknown operation ${opName}`);
    const o = {};
    if (op.input) o.input = op.input.shape;
    if (op.output) {
      o.output = op.output.shape;
      if (op.output.resultWrapper) o.resultWrapper = op.output.resultWrapper;
    }
    o.errors = (op.errors ?? []).map((e) => e.shape);
    operations[opName] = o;
    want(o.input);
    want(o.output);
    for (const e of o.errors) want(e);
  }
  const shapes = {};
  for (const shapeName of [...wanted].sort()) {
    const s = model.shapes[shapeName];
    for (const k of UNSUPPORTED) {
      if (s[k] !== undefined) throw new Error(`${name}: shape ${shapeName} uses ${k}, which aws-query.ts does not implement`);
    }
    const out = {};
    for (const k of SHAPE_KEYS) {
      const v = s[k];
      if (v === undefined) continue;
      if (k === 'members') {
        out.members = {};
        for (const [m, ref] of Object.entries(v)) {
          for (const t of UNSUPPORTED) if (ref[t] !== undefined) throw new Error(`${name}: ${shapeName}.${m} uses ${t}`);
          out.members[m] = pick(ref, REF_KEYS);
        }
      } else if (k === 'member' || k === 'key' || k === 'value') {
        for (const t of UNSUPPORTED) if (v[t] !== undefined) throw new Error(`${name}: ${shapeName}.${k} uses ${t}`);
        out[k] = pick(v, REF_KEYS);
      } else if (k === 'error') {
        out.error = pick(v, ['code', 'httpStatusCode', 'senderFault']);
      } else {
        out[k] = v;
      }
    }
    shapes[shapeName] = out;
  }
  const metadata = { ...pick(model.metadata, METADATA_KEYS), urlEncodedShapes: svc.urlEncodedShapes };
  const target = resolve(repoRoot, `src/wire/${name}-model.json`);
  writeFileSync(target, JSON.stringify({ metadata, operations, shapes }, null, 2) + '\n');
  console.log(`wrote ${target}: ${Object.keys(operations).length} operations, ${Object.keys(shapes).length} shapes`);
}

for (const [name, svc] of Object.entries(SERVICES)) generate(name, svc);
