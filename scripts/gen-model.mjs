// Generates src/wire/<service>-model.json from a botocore JSON-protocol model: the operations
// (input/output shape names and modeled errors) and every shape stripped to what validation and
// (de)serialization need. Documentation, examples, http bindings and other presentation-only fields
// are dropped.
//
//   node scripts/gen-model.mjs [path/to/kms-service-2.json]
//   node scripts/gen-model.mjs --service cloudhsmv2 [path/to/cloudhsmv2-service-2.json]
//
// The service is kms unless --service names another (kms, cloudhsmv2); the default source is
// ../shared/specs/<service>-service-2.json relative to the repo root. The output is
// deterministic (operations and shapes sorted by name, fixed key order, 2-space indent) so that a
// model update shows up as a readable diff.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const at = args.indexOf('--service');
const service = at >= 0 ? args.splice(at, 2)[1] : 'kms';
const TARGETS = { kms: 'src/wire/kms-model.json', cloudhsmv2: 'src/wire/cloudhsmv2-model.json' };
if (!Object.hasOwn(TARGETS, service)) throw new Error(`unknown service ${service}: one of ${Object.keys(TARGETS).join(', ')}`);
const source = resolve(repoRoot, args[0] ?? `../shared/specs/${service}-service-2.json`);
const target = resolve(repoRoot, TARGETS[service]);

const model = JSON.parse(readFileSync(source, 'utf8'));

/** Shape-level fields kept, in output order. */
const SHAPE_KEYS = [
  'type', 'required', 'members', 'member', 'key', 'value',
  'min', 'max', 'pattern', 'enum', 'sensitive',
  'exception', 'error', 'fault', 'deprecated',
];
/** Member-reference fields kept (structure members, list member, map key/value). */
const REF_KEYS = ['shape', 'jsonvalue', 'idempotencyToken', 'deprecated'];
const METADATA_KEYS = [
  'apiVersion', 'endpointPrefix', 'jsonVersion', 'protocol', 'protocols', 'serviceAbbreviation',
  'serviceFullName', 'serviceId', 'signatureVersion', 'signingName', 'targetPrefix', 'uid', 'auth',
];

function pick(obj, keys) {
  const out = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

function sortedEntries(obj) {
  return Object.keys(obj).sort().map((k) => [k, obj[k]]);
}

function stripShape(name, shape) {
  const out = {};
  for (const k of SHAPE_KEYS) {
    const v = shape[k];
    if (v === undefined) continue;
    if (k === 'members') {
      // Member order is the model's (it is the order validation reports violations in).
      const members = {};
      for (const [m, ref] of Object.entries(v)) members[m] = pick(ref, REF_KEYS);
      out.members = members;
    } else if (k === 'member' || k === 'key' || k === 'value') {
      out[k] = pick(v, REF_KEYS);
    } else if (k === 'error') {
      out.error = pick(v, ['code', 'httpStatusCode', 'senderFault']);
    } else {
      out[k] = v;
    }
  }
  if (!out.type) throw new Error(`shape ${name} has no type`);
  return out;
}

const operations = {};
for (const [name, op] of sortedEntries(model.operations)) {
  const o = {};
  if (op.input) o.input = op.input.shape;
  if (op.output) o.output = op.output.shape;
  o.errors = (op.errors ?? []).map((e) => e.shape);
  if (op.deprecated) o.deprecated = true;
  operations[name] = o;
}

const shapes = {};
for (const [name, shape] of sortedEntries(model.shapes)) shapes[name] = stripShape(name, shape);

// Every reference must resolve: fail here rather than at request time.
for (const [name, shape] of Object.entries(shapes)) {
  const refs = [
    ...Object.values(shape.members ?? {}), shape.member, shape.key, shape.value,
  ].filter(Boolean);
  for (const ref of refs) {
    if (!shapes[ref.shape]) throw new Error(`${name} references unknown shape ${ref.shape}`);
  }
}
for (const [name, op] of Object.entries(operations)) {
  for (const s of [op.input, op.output, ...op.errors]) {
    if (s && !shapes[s]) throw new Error(`${name} references unknown shape ${s}`);
  }
}

const out = { metadata: pick(model.metadata, METADATA_KEYS), operations, shapes };
writeFileSync(target, JSON.stringify(out, null, 2) + '\n');
console.log(
  `wrote ${target}: ${Object.keys(operations).length} operations, ${Object.keys(shapes).length} shapes`,
);
