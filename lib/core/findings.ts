/**
 * Problems found in a profile before their position in the file is known: errors stop the synth,
 * warnings print and land in the review. Components report these; the profile layer positions them.
 */
import { redactCredentials } from './credentials';
import { Citation } from './references';

export type Severity = 'error' | 'warning';
export type FieldPath = ReadonlyArray<string | number>;

export interface Finding {
  readonly severity: Severity;
  readonly path: FieldPath;
  readonly message: string;
  /** The upstream documents behind a warning. */
  readonly source?: Citation;
  /** Point at the key rather than its value (unknown or refused keys). */
  readonly atKey?: boolean;
}

export function error(path: FieldPath, message: string): Finding {
  return { severity: 'error', path, message };
}

export function warning(path: FieldPath, message: string, source?: Citation): Finding {
  return { severity: 'warning', path, message, source };
}

/** A problem relative to a section, as constructs and the profile rules share it. */
export interface Problem {
  readonly severity: Severity;
  /** Relative to the section the check ran on. */
  readonly path: FieldPath;
  readonly message: string;
  readonly source?: Citation;
}

/** Problems of a section as findings at `prefix` (e.g. ['spec', 'calico']). */
export function findingsAt(prefix: FieldPath, problems: readonly Problem[]): Finding[] {
  return problems.map((p) => ({ severity: p.severity, path: [...prefix, ...p.path], message: p.message, ...(p.source ? { source: p.source } : {}) }));
}

/** Throws one error listing every error-level problem, for construct constructors. */
export function throwOnErrors(construct: string, problems: readonly Problem[]): void {
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length === 0) return;
  throw new Error(`${construct}: ${errors.map((p) => (p.path.length > 0 ? `${formatPath(p.path)}: ${p.message}` : p.message)).join('; ')}`);
}

/** `spec.terway.vswitches["cn-shanghai-f"][0]`: dots for identifiers, brackets for the rest. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/**
 * JSON for values in messages, credentials redacted before the cut (so no cut can hide one from
 * the redaction); long values are cut so one bad field cannot flood the report.
 */
export function show(value: unknown): string {
  const text = value === undefined ? 'nothing' : redactCredentials(JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
