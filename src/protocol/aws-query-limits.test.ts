/**
 * Form bodies are decoded before their signature is checked, so their cost must not grow faster
 * than their size: at most MAX_FORM_FIELDS fields, and parameter names indexed only as deep as a
 * model member can lie (a 1 MiB name of 500,000 segments took over a second; 250,000 fields 0.4 s).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_FORM_FIELDS, MAX_NAME_SEGMENTS, parseForm, QUERY_MODELS, readQueryRequest } from './aws-query.ts';
import { MalformedQueryStringError } from '../errors/query-errors.ts';
import { queryShape, type QueryModel } from '../wire/query-model.ts';

const MiB = 1024 * 1024;

function quick(what: string, f: () => unknown, ms = 100): void {
  const t0 = performance.now();
  f();
  const took = performance.now() - t0;
  assert.ok(took < ms, `${what} took ${took.toFixed(1)} ms`);
}

test(`a body of ${MAX_FORM_FIELDS} fields is decoded; one more is MalformedQueryString`, () => {
  const fields = (n: number): string => ['Action=ListUsers', 'Version=2010-05-08', ...Array.from({ length: n - 2 }, (_, i) => `p${i}=1`)].join('&');
  assert.equal(parseForm(fields(MAX_FORM_FIELDS)).size, MAX_FORM_FIELDS);
  assert.throws(() => parseForm(fields(MAX_FORM_FIELDS + 1)), (e) => e instanceof MalformedQueryStringError
    && e.message === `The request body has more than ${MAX_FORM_FIELDS} parameters.`);
});

test('a 1 MiB body of tiny fields is refused in milliseconds', () => {
  const body = Buffer.from(`Action=ListUsers&${'a=1&'.repeat(MiB / 4)}`);
  quick('refusing 262,000 fields', () => assert.throws(() => parseForm(body), MalformedQueryStringError));
});

test('a 1 MiB parameter name of 500,000 segments is ignored in milliseconds', () => {
  const params = parseForm(Buffer.from(`Action=ListUsers&Version=2010-05-08&${'a.'.repeat(MiB / 2 - 40)}b=1`));
  quick('reading it', () => assert.deepEqual(readQueryRequest(QUERY_MODELS.iam, params), { action: 'ListUsers', input: {} }));
});

/** Segments of the deepest parameter name an input shape can have (`Tags.member.1.Key` is 4). */
function depth(model: QueryModel, shape: string, seen: readonly string[] = []): number {
  if (seen.includes(shape)) return 0;
  const s = queryShape(model, shape);
  const inner = (name: string): number => depth(model, name, [...seen, shape]);
  switch (s.type) {
    case 'structure': return Math.max(0, ...Object.values(s.members).map((m) => 1 + inner(m.shape)));
    case 'list': return 2 + inner(s.member.shape);
    case 'map': return 3 + Math.max(inner(s.key.shape), inner(s.value.shape));
    default: return 0;
  }
}

test('every member of the IAM and STS models lies within the indexed depth', () => {
  for (const model of [QUERY_MODELS.iam, QUERY_MODELS.sts]) {
    const deepest = Math.max(...Object.values(model.operations).map((op) => (op.input === undefined ? 0 : depth(model, op.input))));
    assert.equal(deepest, 4);
    assert.ok(deepest <= MAX_NAME_SEGMENTS);
  }
});

test('deep members still read: tags of CreateUser', () => {
  const { input } = readQueryRequest(QUERY_MODELS.iam, parseForm('Action=CreateUser&UserName=u&Tags.member.1.Key=k&Tags.member.1.Value=v&Tags.member.2.Key=k2&Tags.member.2.Value='));
  assert.deepEqual(input.Tags, [{ Key: 'k', Value: 'v' }, { Key: 'k2', Value: '' }]);
});
