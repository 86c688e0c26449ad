/**
 * Problems found in profiles: errors stop the synth, warnings print and land in the review.
 * Every diagnostic names the file, the line and column, and the field path.
 */

export type Severity = 'error' | 'warning';
export type FieldPath = ReadonlyArray<string | number>;

export interface Diagnostic {
  readonly severity: Severity;
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Dotted field path, e.g. `spec.terway.pool`. Empty for the whole document. */
  readonly path: string;
  readonly message: string;
  /** The seed document or upstream advice behind a warning. */
  readonly source?: string;
}

/** A problem found before its position in the file is known. */
export interface Finding {
  readonly severity: Severity;
  readonly path: FieldPath;
  readonly message: string;
  readonly source?: string;
}

export function error(path: FieldPath, message: string): Finding {
  return { severity: 'error', path, message };
}

export function warning(path: FieldPath, message: string, source?: string): Finding {
  return { severity: 'warning', path, message, source };
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

export function formatDiagnostic(d: Diagnostic): string {
  const where = `${d.file}:${d.line}:${d.col}`;
  const field = d.path === '' ? '' : ` ${d.path}:`;
  const source = d.source ? ` (${d.source})` : '';
  return `${where}${field} ${d.message}${source}`;
}

/** Sorted by file, then position, so the report reads top to bottom. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
}

/** Thrown when a fleet cannot be synthesized; carries every error found, not just the first. */
export class ProfileError extends Error {
  constructor(public readonly diagnostics: readonly Diagnostic[]) {
    super(ProfileError.render(diagnostics));
    this.name = 'ProfileError';
  }

  static render(diagnostics: readonly Diagnostic[]): string {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const lines = sortDiagnostics(errors).map(formatDiagnostic);
    return `${errors.length} problem${errors.length === 1 ? '' : 's'} in the cluster profiles; dist/ was not changed:\n${lines.map((l) => `  ${l}`).join('\n')}`;
  }
}

/** JSON for values in messages; long values are cut so one bad field cannot flood the report. */
export function show(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
