/**
 * The KMS service model (botocore `kms-service-2.json`, stripped by `scripts/gen-model.mjs` to what
 * validation and (de)serialization need) with its TypeScript types. Regenerate the JSON with
 * `npm run gen:model`; nothing here reads ../shared at run time.
 */
import model from './kms-model.json' with { type: 'json' };

/** A reference from a structure member, list member or map key/value to its target shape. */
export interface MemberRef {
  readonly shape: string;
  readonly jsonvalue?: boolean;
  readonly idempotencyToken?: boolean;
  readonly deprecated?: boolean;
}

interface ShapeBase {
  readonly sensitive?: boolean;
  readonly deprecated?: boolean;
}

export interface StructureShape extends ShapeBase {
  readonly type: 'structure';
  /** In model order (the order validation reports violations in). */
  readonly members: Readonly<Record<string, MemberRef>>;
  readonly required?: readonly string[];
  readonly exception?: boolean;
  readonly fault?: boolean;
  readonly error?: { readonly code?: string; readonly httpStatusCode?: number; readonly senderFault?: boolean };
}
export interface ListShape extends ShapeBase {
  readonly type: 'list';
  readonly member: MemberRef;
  readonly min?: number;
  readonly max?: number;
}
export interface MapShape extends ShapeBase {
  readonly type: 'map';
  readonly key: MemberRef;
  readonly value: MemberRef;
  readonly min?: number;
  readonly max?: number;
}
export interface StringShape extends ShapeBase {
  readonly type: 'string';
  readonly min?: number;
  readonly max?: number;
  /** A Java regular expression, matched against the whole value. */
  readonly pattern?: string;
  readonly enum?: readonly string[];
}
export interface BlobShape extends ShapeBase {
  readonly type: 'blob';
  /** Bounds on the decoded byte length. */
  readonly min?: number;
  readonly max?: number;
}
export interface NumberShape extends ShapeBase {
  readonly type: 'integer' | 'long' | 'float' | 'double';
  readonly min?: number;
  readonly max?: number;
}
export interface BooleanShape extends ShapeBase {
  readonly type: 'boolean';
}
export interface TimestampShape extends ShapeBase {
  readonly type: 'timestamp';
}

export type Shape =
  | StructureShape | ListShape | MapShape | StringShape | BlobShape | NumberShape | BooleanShape | TimestampShape;
export type ShapeType = Shape['type'];

export interface OperationModel {
  readonly input?: string;
  readonly output?: string;
  readonly errors: readonly string[];
  readonly deprecated?: boolean;
}

export interface KmsModel {
  readonly metadata: Readonly<Record<string, string | readonly string[]>>;
  readonly operations: Readonly<Record<string, OperationModel>>;
  readonly shapes: Readonly<Record<string, Shape>>;
}

const SHAPE_TYPES: ReadonlySet<string> = new Set<ShapeType>([
  'structure', 'list', 'map', 'string', 'blob', 'integer', 'long', 'float', 'double', 'boolean', 'timestamp',
]);

// The JSON's inferred literal type is wider (e.g. `type: string`); check the one thing the union
// discriminates on once, at load, then treat it as the declared model type.
for (const [name, shape] of Object.entries(model.shapes)) {
  if (!SHAPE_TYPES.has(shape.type)) throw new Error(`kms-model.json: shape ${name} has unsupported type ${shape.type}`);
}

export const kmsModel: KmsModel = model as unknown as KmsModel;

/** Every operation name the model defines (the part after `TrentService.` in X-Amz-Target). */
export const operationNames: ReadonlySet<string> = new Set(Object.keys(kmsModel.operations));

export function getShape(name: string): Shape {
  const shape = kmsModel.shapes[name];
  if (!shape) throw new Error(`unknown shape ${name}`);
  return shape;
}

const sensitiveCache = new Map<string, readonly string[]>();

/** Whether a shape is sensitive or (through members, list members, map keys/values) contains one. */
function containsSensitive(name: string, seen: Set<string>): boolean {
  if (seen.has(name)) return false;
  seen.add(name);
  const shape = getShape(name);
  if (shape.sensitive) return true;
  switch (shape.type) {
    case 'structure': return Object.values(shape.members).some((m) => containsSensitive(m.shape, seen));
    case 'list': return containsSensitive(shape.member.shape, seen);
    case 'map': return containsSensitive(shape.key.shape, seen) || containsSensitive(shape.value.shape, seen);
    default: return false;
  }
}

/**
 * The members of structure `shapeName` whose value must not be logged or audited verbatim: the
 * target shape is marked sensitive (e.g. `Plaintext`, `KeyStorePassword`), or it is a structure,
 * list or map that contains sensitive data (e.g. `XksProxyAuthenticationCredential`). PascalCase,
 * model order. Empty for non-structures.
 */
export function sensitiveMembers(shapeName: string): readonly string[] {
  const cached = sensitiveCache.get(shapeName);
  if (cached) return cached;
  const shape = getShape(shapeName);
  const names = shape.type === 'structure'
    ? Object.entries(shape.members).filter(([, ref]) => containsSensitive(ref.shape, new Set())).map(([n]) => n)
    : [];
  sensitiveCache.set(shapeName, names);
  return names;
}
