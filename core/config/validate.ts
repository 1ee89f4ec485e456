import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { JsonSchema } from '../contract/provider.js';
import type { PathSegment, Problems } from './problems.js';

/** Validator for configuration: coerces env-interpolated strings ("8000") and fills defaults. */
const ajv = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true, verbose: true, strict: false });
ajv.addKeyword({ keyword: 'expected', schemaType: 'string' });
// Our annotation too: appended to an unknown-key message, to say where such a key belongs.
ajv.addKeyword({ keyword: 'hint', schemaType: 'string' });

const compiled = new WeakMap<JsonSchema, ValidateFunction>();

/** Check `data` against `schema` (mutating it: coercion, defaults); report each problem at its YAML path. */
export function validateInto(schema: JsonSchema, data: unknown, base: readonly PathSegment[], problems: Problems): boolean {
  let validate = compiled.get(schema);
  if (!validate) compiled.set(schema, (validate = ajv.compile(schema)));
  if (validate(data)) return true;
  report(validate.errors ?? [], base, problems);
  return false;
}

function report(errors: ErrorObject[], base: readonly PathSegment[], problems: Problems): void {
  const suppressed = new Set<ErrorObject>();
  const generic = new Set<ErrorObject>();
  for (const union of errors) {
    if (union.keyword !== 'anyOf') continue;
    const branches = union.schema as JsonSchema[];
    const fitting = branches.map((b, i) => (typeFits(b, union.data) ? i : -1)).filter((i) => i >= 0);
    const keep = fitting.length === 1 ? `${union.schemaPath}/${fitting[0]}/` : undefined;
    for (const e of errors) {
      if (e === union || !e.schemaPath.startsWith(`${union.schemaPath}/`)) continue;
      if (!keep || !e.schemaPath.startsWith(keep)) suppressed.add(e);
    }
    // When exactly one branch has the right type, its own errors say more than the union.
    if (keep) suppressed.add(union);
    else generic.add(union);
  }
  const seen = new Set<string>();
  for (const e of errors) {
    if (suppressed.has(e)) continue;
    const { path, message } = describe(e, generic.has(e));
    const key = `${path.join('/')}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.add([...base, ...path], message);
  }
}

function pathOf(instancePath: string): PathSegment[] {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describe(e: ErrorObject, generic: boolean): { path: PathSegment[]; message: string } {
  const path = pathOf(e.instancePath);
  const parent = (e.parentSchema ?? {}) as JsonSchema;
  const p = e.params as Record<string, unknown>;
  if (generic) return { path, message: `expected ${String(parent.expected ?? 'a different value')}, got ${show(e.data)}` };
  switch (e.keyword) {
    case 'type':
      return { path, message: `expected ${typeWords(p.type)}, got ${show(e.data)}` };
    case 'required':
      return { path: [...path, String(p.missingProperty)], message: 'is required' };
    case 'additionalProperties': {
      const known = Object.keys((parent.properties as object) ?? {});
      return {
        path: [...path, String(p.additionalProperty)],
        message: `unknown key${known.length ? `; known: ${known.join(', ')}` : ''}${parent.hint ? `; ${String(parent.hint)}` : ''}`,
      };
    }
    case 'enum':
      return { path, message: `expected one of ${(p.allowedValues as unknown[]).join(', ')}, got ${show(e.data)}` };
    case 'pattern':
      return { path, message: `${show(e.data)} does not match ${String(p.pattern)}` };
    default:
      return { path, message: e.message ?? 'is invalid' };
  }
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeFits(branch: JsonSchema, data: unknown): boolean {
  const t = branch.type;
  if (t === undefined) return true;
  const types = Array.isArray(t) ? t : [t];
  const actual = jsonType(data);
  return types.includes(actual) || (actual === 'integer' && types.includes('number'));
}

function typeWords(t: unknown): string {
  const list = String(t).split(',');
  const words = list.map((x) => ({ object: 'an object', array: 'a list', integer: 'an integer', null: 'null' })[x] ?? `a ${x}`);
  return words.join(' or ');
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}
