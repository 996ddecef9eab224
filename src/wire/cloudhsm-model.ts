/**
 * The CloudHSMv2 service model (botocore `cloudhsmv2-service-2.json`, stripped by
 * `node scripts/gen-model.mjs --service cloudhsmv2`), typed as the KMS one (model.ts).
 */
import model from './cloudhsmv2-model.json' with { type: 'json' };
import type { KmsModel, Shape } from './model.ts';

const SHAPE_TYPES: ReadonlySet<string> = new Set(['structure', 'list', 'map', 'string', 'blob', 'integer', 'long', 'float', 'double', 'boolean', 'timestamp']);
for (const [name, shape] of Object.entries(model.shapes)) {
  if (!SHAPE_TYPES.has(shape.type)) throw new Error(`cloudhsmv2-model.json: shape ${name} has unsupported type ${shape.type}`);
}

/** Same structure as the KMS model's. */
export const cloudHsmModel: KmsModel = model as unknown as KmsModel;

/** The X-Amz-Target prefix (`BaldrApiService.CreateCluster`). */
export const CLOUDHSM_TARGET_PREFIX = `${cloudHsmModel.metadata.targetPrefix as string}.`;

export function cloudHsmShape(name: string): Shape {
  const shape = cloudHsmModel.shapes[name];
  if (!shape) throw new Error(`unknown shape ${name}`);
  return shape;
}
