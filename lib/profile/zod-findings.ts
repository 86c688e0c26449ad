/**
 * Schema issues turned into findings that say what was found and what would be valid.
 */
import { z } from 'zod';
import { CREDENTIAL_MESSAGE, isCredentialKey, isSecretName, REDACTED, SECRET_FIELD_MESSAGE } from '../core/credentials';
import { error, FieldPath, Finding, show as showValue } from '../core/findings';

type AnySchema = z.core.$ZodType;

/**
 * The message zod gives an issue when the schema set none: parse with `{ error: () => NO_SCHEMA_MESSAGE }`
 * (schema messages win over it), so a finding can tell the schema's own words from zod's defaults.
 */
export const NO_SCHEMA_MESSAGE = '\u0000netscale: no schema message';

/** Options for `safeParse` that mark issues without a message of the schema's own. */
export const PARSE_OPTIONS = { error: () => NO_SCHEMA_MESSAGE };

/** The schema's own message for this issue, if it gave one. */
function schemaMessage(issue: { readonly message: string }): string | undefined {
  return issue.message === NO_SCHEMA_MESSAGE ? undefined : issue.message;
}

/** The keys an object schema accepts at `path`, for "did you mean" hints on unknown fields. */
export function knownKeysAt(root: AnySchema, path: FieldPath): string[] {
  let schema: AnySchema | undefined = root;
  for (const segment of path) {
    schema = unwrap(schema);
    const def = schema?._zod.def as unknown as Record<string, unknown> | undefined;
    if (!def) return [];
    if (def.type === 'object') schema = (def.shape as Record<string, AnySchema>)[String(segment)];
    else if (def.type === 'record') schema = def.valueType as AnySchema;
    else if (def.type === 'array') schema = def.element as AnySchema;
    else return [];
  }
  const def = unwrap(schema)?._zod.def as unknown as Record<string, unknown> | undefined;
  return def?.type === 'object' ? Object.keys(def.shape as object) : [];
}

function unwrap(schema: AnySchema | undefined): AnySchema | undefined {
  let s = schema;
  while (s) {
    const def = s._zod.def as unknown as Record<string, unknown>;
    if (def.type === 'optional' || def.type === 'nullable' || def.type === 'default') s = def.innerType as AnySchema;
    else if (def.type === 'pipe') s = def.in as AnySchema;
    else break;
  }
  return s;
}

export function valueAt(input: unknown, path: FieldPath): unknown {
  let v: unknown = input;
  for (const segment of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[segment];
  }
  return v;
}

/** Closest name by edit distance, if close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The text of a scalar as written in the file, when the caller has the file. */
export type ScalarText = (path: FieldPath) => string | undefined;

export function findingsFromIssues(root: AnySchema, input: unknown, issues: readonly z.core.$ZodIssue[], scalarText?: ScalarText): Finding[] {
  const out: Finding[] = [];
  for (const issue of issues) out.push(...describeIssue(root, input, issue, issue.path as FieldPath, scalarText));
  return out;
}

function describeIssue(root: AnySchema, input: unknown, issue: z.core.$ZodIssue, path: FieldPath, scalarText?: ScalarText): Finding[] {
  const got = valueAt(input, path);
  // A value under a credential's name is never shown, whatever its shape.
  const named = path.filter((s): s is string => typeof s === 'string');
  const show = (value: unknown) => (named.some(isSecretName) ? `"${REDACTED}"` : showValue(value));
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(root, path);
      return issue.keys.map((key) => {
        if (isCredentialKey(key)) return { ...error([...path, key], path[1] === 'terway' ? CREDENTIAL_MESSAGE : SECRET_FIELD_MESSAGE), atKey: true };
        const hint = closest(key, known);
        const valid = known.length > 0 ? `; valid fields here: ${known.join(', ')}` : '';
        return { ...error([...path, key], `unknown field${hint ? ` (did you mean "${hint}"?)` : ''}${valid}`), atKey: true };
      });
    }
    case 'invalid_type': {
      if (got === undefined) return [error(path, 'is required')];
      if (issue.expected === 'string' && (typeof got === 'number' || typeof got === 'boolean')) {
        // YAML read an unquoted 1.30 as the number 1.3, or yes as true: the text needs quotes.
        const written = scalarText?.(path) ?? String(got);
        const read = written === String(got) ? '' : `, which YAML reads as ${show(got)}`;
        return [error(path, `must be a string (got the ${typeof got} ${written}${read}): quote it, "${written.replace(/"/g, '\\"')}"`)];
      }
      return [error(path, `must be ${article(issue.expected)} (got ${show(got)})`)];
    }
    case 'invalid_value': {
      if (issue.values.length === 1) return [error(path, `must be ${show(issue.values[0])} (got ${show(got)})`)];
      // A message from the schema says more than the list of values.
      return [error(path, `${schemaMessage(issue) ?? `must be one of ${issue.values.map((v) => String(v)).join(', ')}`} (got ${show(got)})`)];
    }
    case 'too_small':
      return [error(path, `${schemaMessage(issue) ?? boundMessage(issue.origin, 'at least', issue.minimum, issue.inclusive)} (got ${show(got)})`)];
    case 'too_big':
      return [error(path, `${schemaMessage(issue) ?? boundMessage(issue.origin, 'at most', issue.maximum, issue.inclusive)} (got ${show(got)})`)];
    case 'invalid_format':
      return [error(path, `${schemaMessage(issue) ?? `must match ${issue.format}`} (got ${show(got)})`)];
    case 'invalid_key': {
      const key = path[path.length - 1];
      const inner = issue.issues[0];
      const message = (inner && schemaMessage(inner)) ?? 'is not a valid key here';
      return [{ ...error(path, `key ${showValue(key)} ${message}`), atKey: true }];
    }
    case 'invalid_element':
      return issue.issues.flatMap((inner) => describeIssue(root, input, inner, [...path, ...(inner.path as FieldPath)], scalarText));
    case 'custom':
      // Never echo a credential back into logs.
      if (issue.params?.credential === true) return [{ ...error(path, CREDENTIAL_MESSAGE), atKey: true }];
      return [error(path, `${schemaMessage(issue) ?? 'is not valid here'} (got ${show(got)})`)];
    default:
      return [error(path, `${schemaMessage(issue) ?? 'is not valid here'} (got ${show(got)})`)];
  }
}

function boundMessage(origin: string, word: string, bound: number | bigint, inclusive: boolean | undefined): string {
  const n = Number(bound);
  switch (origin) {
    case 'array':
      return `must list ${word} ${n} item${n === 1 ? '' : 's'}`;
    case 'string':
      return `must be ${word} ${n} character${n === 1 ? '' : 's'} long`;
    default:
      return inclusive === false ? `must be ${word === 'at least' ? 'greater' : 'less'} than ${n}` : `must be ${word} ${n}`;
  }
}

function article(expected: string): string {
  const words: Record<string, string> = {
    int: 'a whole number',
    number: 'a number',
    string: 'a string',
    boolean: 'true or false',
    object: 'a mapping',
    array: 'a list',
    record: 'a mapping',
  };
  return words[expected] ?? `a ${expected}`;
}
