/**
 * PromQL label matchers as spec.monitoring.jobSelectors gives them (`job="node-exporter"`), checked
 * before they reach an expression, and the selectors the alert expressions are built from.
 */

export interface LabelMatcher {
  readonly name: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  /** The double-quoted string as written, escapes included. */
  readonly quoted: string;
}

const MATCHER = String.raw`\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\\n]|\\.)*")\s*(,|$)`;

/** The matchers in `text`, or why it is not a comma-separated list of them. */
export function parseLabelMatchers(text: string): LabelMatcher[] | string {
  if (text.trim() === '') return 'is empty';
  const matcher = new RegExp(MATCHER, 'y');
  const out: LabelMatcher[] = [];
  for (;;) {
    const start = matcher.lastIndex;
    const m = matcher.exec(text);
    if (!m) return `cannot read a matcher at ${JSON.stringify(text.slice(start, start + 20))}`;
    out.push({ name: m[1], op: m[2] as LabelMatcher['op'], quoted: m[3] });
    if (m[4] !== ',') return out;
    if (text.slice(matcher.lastIndex).trim() === '') return 'ends with a comma';
  }
}

/** Why `text` cannot be used as jobSelectors, or undefined when it can. */
export function labelMatchersProblem(text: string): string | undefined {
  const shape =
    'PromQL label matchers such as job="node-exporter": a label name, one of = != =~ !~, a double-quoted value, several separated by commas';
  const parsed = parseLabelMatchers(text);
  if (typeof parsed === 'string') return `must be ${shape} (${parsed})`;
  for (const m of parsed) {
    if (m.name === '__name__') return 'must not match __name__: every alert picks its own metric';
    // Escapes PromQL (Go) and JSON read alike; a regular expression's backslash is written \\.
    if (/\\(?![\\"ntrbf]|u[0-9a-fA-F]{4})/.test(m.quoted.slice(1, -1).replace(/\\\\/g, ''))) {
      return `${m.name}${m.op}${m.quoted}: a backslash in a PromQL string starts an escape such as \\\\ or \\"; write \\\\ for a backslash`;
    }
    if (m.op !== '=~' && m.op !== '!~') continue;
    const pattern = JSON.parse(m.quoted) as string;
    // Prometheus compiles these with Go's RE2, which has no lookaround and no back-references.
    if (/\(\?<?[=!]/.test(pattern) || /\\[1-9]/.test(pattern))
      return `${m.name}${m.op}${m.quoted}: Prometheus regular expressions (RE2) have no lookaround or back-references`;
    try {
      new RegExp(pattern);
    } catch (e) {
      return `${m.name}${m.op}${m.quoted} is not a valid regular expression: ${(e as Error).message}`;
    }
  }
  return undefined;
}

/** `{a="b", c=~"d"}` from a source's jobSelectors and the expression's own matchers; empty when there are none. */
export function selector(jobSelector: string | undefined, ...own: string[]): string {
  const parsed = jobSelector === undefined ? [] : parseLabelMatchers(jobSelector);
  if (typeof parsed === 'string') throw new Error(`jobSelectors ${JSON.stringify(jobSelector)} ${parsed}`);
  const all = [...parsed.map((m) => `${m.name}${m.op}${m.quoted}`), ...own];
  return all.length === 0 ? '' : `{${all.join(', ')}}`;
}
