/**
 * Limits instead of hangs: how large a profile and how deep its values (and the JSON or YAML pasted
 * into them) may be. Far above any real profile, far below what makes a parser or a recursive
 * walk run out of stack or time.
 */
import { FieldPath } from './findings';

/** Bytes one profile file may hold. Real profiles, pasted configurations included, stay under 20 KiB. */
export const MAX_PROFILE_BYTES = 1024 * 1024;

/** Levels of nesting a profile, an embedded JSON or YAML value may have. Real ones stay under 15. */
export const MAX_NESTING_DEPTH = 32;

/**
 * The path to the first value nested deeper than `max` levels (the top level is 1), or undefined.
 * Iterative, so no value is too deep for it; a value that contains itself counts as too deep.
 */
export function tooDeepAt(value: unknown, max: number = MAX_NESTING_DEPTH): FieldPath | undefined {
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: v, path } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (path.length >= max) return path;
    const entries: Array<[string | number, unknown]> = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v as object);
    for (const [key, child] of entries) stack.push({ value: child, path: [...path, key] });
  }
  return undefined;
}

/**
 * JSON text to a value, or why not, with the line and column in the text. The reason never quotes
 * the text: it may hold a credential in the wrong place.
 */
export function parseJson(text: string, max: number = MAX_NESTING_DEPTH): { ok: true; value: unknown } | { ok: false; reason: string } {
  const problem = jsonProblem(text, max);
  if (problem) {
    const before = text.slice(0, problem.offset);
    const line = before.split('\n').length;
    const column = problem.offset - before.lastIndexOf('\n');
    return { ok: false, reason: `is not JSON: ${problem.message} at line ${line}, column ${column} of the value` };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, reason: 'is not JSON' };
  }
}

const LITERALS = ['true', 'false', 'null'];
const STRING_PROBLEM = 'a string is not closed on its line, or holds a control character or an unknown escape';
const NUMBER = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

/** The first syntax problem of a JSON text, or one nested deeper than `max`, without recursion. */
function jsonProblem(text: string, max: number): { offset: number; message: string } | undefined {
  // What each open container expects next: a value, a key, ":" or "," / its end.
  const stack: Array<'array' | 'object'> = [];
  let expect: 'value' | 'key' | 'colon' | 'next' | 'first-value' | 'first-key' | 'end' = 'value';
  let i = 0;
  const skip = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  for (;;) {
    skip();
    if (i >= text.length) return expect === 'end' ? undefined : { offset: i, message: 'the text ends early' };
    const c = text[i];
    if (expect === 'end') return { offset: i, message: 'more follows the value' };
    if (expect === 'colon') {
      if (c !== ':') return { offset: i, message: 'expected ":" after a key' };
      i++;
      expect = 'value';
      continue;
    }
    if (expect === 'next') {
      const open = stack[stack.length - 1];
      if (c === ',') {
        i++;
        expect = open === 'array' ? 'value' : 'key';
        continue;
      }
      if ((open === 'array' && c === ']') || (open === 'object' && c === '}')) {
        i++;
        stack.pop();
        expect = stack.length === 0 ? 'end' : 'next';
        continue;
      }
      return { offset: i, message: `expected "," or "${open === 'array' ? ']' : '}'}"` };
    }
    if (expect === 'key' || expect === 'first-key') {
      if (expect === 'first-key' && c === '}') {
        i++;
        stack.pop();
        expect = stack.length === 0 ? 'end' : 'next';
        continue;
      }
      if (c !== '"') return { offset: i, message: 'expected a key in double quotes' };
      const end = stringEnd(text, i);
      if (end === undefined) return { offset: i, message: STRING_PROBLEM };
      i = end;
      expect = 'colon';
      continue;
    }
    // A value.
    if (expect === 'first-value' && c === ']') {
      i++;
      stack.pop();
      expect = stack.length === 0 ? 'end' : 'next';
      continue;
    }
    if (c === '{' || c === '[') {
      if (stack.length >= max) return { offset: i, message: `values nest deeper than ${max} levels` };
      stack.push(c === '{' ? 'object' : 'array');
      i++;
      expect = c === '{' ? 'first-key' : 'first-value';
      continue;
    }
    if (c === '"') {
      const end = stringEnd(text, i);
      if (end === undefined) return { offset: i, message: STRING_PROBLEM };
      i = end;
    } else {
      const literal = LITERALS.find((l) => text.startsWith(l, i));
      NUMBER.lastIndex = i;
      const number = NUMBER.exec(text);
      if (literal) i += literal.length;
      else if (number) i += number[0].length;
      else return { offset: i, message: 'expected a value (a string in double quotes, a number, true, false, null, an object or an array)' };
    }
    expect = stack.length === 0 ? 'end' : 'next';
  }
}

/** Offset just past the string that opens at `start`, or undefined if it is not a valid JSON string. */
function stringEnd(text: string, start: number): number | undefined {
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '"') return i + 1;
    if (c < ' ') return undefined;
    if (c === '\\') {
      const next = text[i + 1];
      if (next === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return undefined;
        i += 5;
      } else if (next !== undefined && '"\\/bfnrt'.includes(next)) i++;
      else return undefined;
    }
  }
  return undefined;
}
