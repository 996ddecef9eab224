/**
 * The IAM and STS service models (botocore `iam-service-2.json`, `sts-service-2.json`; AWS Query
 * protocol), stripped by `scripts/gen-query-models.mjs` to the operations Coffer implements and the
 * shapes they reach. Regenerate with `node scripts/gen-query-models.mjs`.
 */
import iam from './iam-model.json' with { type: 'json' };
import sts from './sts-model.json' with { type: 'json' };
import type { Shape } from './model.ts';

export interface QueryOperationModel {
  readonly input?: string;
  readonly output?: string;
  /** The element the output structure is wrapped in (`CreateUserResult`). */
  readonly resultWrapper?: string;
  readonly errors: readonly string[];
}

export interface QueryModel {
  readonly metadata: {
    readonly apiVersion: string;
    readonly endpointPrefix: string;
    readonly xmlNamespace: string;
    /** String shapes whose values are answered URL-encoded (IAM's policy documents). */
    readonly urlEncodedShapes: readonly string[];
  };
  readonly operations: Readonly<Record<string, QueryOperationModel>>;
  readonly shapes: Readonly<Record<string, Shape>>;
}

const TYPES: ReadonlySet<string> = new Set(['structure', 'list', 'map', 'string', 'blob', 'integer', 'long', 'float', 'double', 'boolean', 'timestamp']);

function load(name: string, model: { shapes: Record<string, { type: string }> }): QueryModel {
  for (const [shape, s] of Object.entries(model.shapes)) {
    if (!TYPES.has(s.type)) throw new Error(`${name}-model.json: shape ${shape} has unsupported type ${s.type}`);
  }
  return model as unknown as QueryModel;
}

export const iamModel: QueryModel = load('iam', iam);
export const stsModel: QueryModel = load('sts', sts);

export function queryShape(model: QueryModel, name: string): Shape {
  const shape = model.shapes[name];
  if (!shape) throw new Error(`unknown shape ${name}`);
  return shape;
}
