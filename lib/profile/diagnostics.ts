/**
 * Problems found in profiles, positioned: errors stop the synth, warnings print and land in the
 * review. Every diagnostic names the file, the line and column, and the field path.
 */
import { redactCredentials } from '../core/credentials';
import { Severity } from '../core/findings';
import { Citation, markdownCitation, plainCitation } from '../core/references';

export interface Diagnostic {
  readonly severity: Severity;
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Dotted field path, e.g. `spec.terway.pool`. Empty for the whole document. */
  readonly path: string;
  readonly message: string;
  /** The upstream documents behind a warning. */
  readonly source?: Citation;
}

/** A diagnostic about a whole file or folder (it is missing, empty, unreadable, in the way): line 1, column 1, no field. */
export function wholeFileDiagnostic(severity: Severity, file: string, message: string): Diagnostic {
  return { severity, file, line: 1, col: 1, path: '', message };
}

/**
 * The diagnostic with every credential in its message and field path redacted: a secret in the
 * wrong field (a region, an unknown key, a URL) is named by its path, never shown.
 */
export function redactDiagnostic(d: Diagnostic): Diagnostic {
  const message = redactCredentials(d.message);
  const path = redactCredentials(d.path);
  return message === d.message && path === d.path ? d : { ...d, message, path };
}

/** One line for a terminal: where, the field, the message and the URLs behind it. */
export function formatDiagnostic(diagnostic: Diagnostic): string {
  const d = redactDiagnostic(diagnostic);
  const where = `${d.file}:${d.line}:${d.col}`;
  const field = d.path === '' ? '' : ` ${d.path}:`;
  return `${where}${field} ${d.message}${citationSuffix(d)}`;
}

/** " (title <url>; ...)" for a terminal line, or nothing when the finding cites no source. */
export function citationSuffix(d: Pick<Diagnostic, 'source'>): string {
  return d.source && d.source.length > 0 ? ` (${plainCitation(d.source)})` : '';
}

/** The same line for a review: the sources as Markdown links. */
export function formatDiagnosticMarkdown(diagnostic: Diagnostic): string {
  const d = redactDiagnostic(diagnostic);
  const field = d.path === '' ? '' : ` ${d.path}:`;
  const source = d.source && d.source.length > 0 ? ` (${markdownCitation(d.source)})` : '';
  return `${d.file}:${d.line}:${d.col}${field} ${d.message}${source}`;
}

/** Sorted by file, then position, so the report reads top to bottom. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
}

/** Thrown when a fleet cannot be synthesized; carries every error found, not just the first. */
export class ProfileError extends Error {
  public readonly diagnostics: readonly Diagnostic[];

  constructor(diagnostics: readonly Diagnostic[]) {
    const redacted = diagnostics.map(redactDiagnostic);
    super(ProfileError.render(redacted));
    this.name = 'ProfileError';
    this.diagnostics = redacted;
  }

  /**
   * The report: every error, sorted. `outcome` says what became of the output folder (the caller
   * prints its own when it knows better); a command that writes nothing passes ''.
   */
  static render(diagnostics: readonly Diagnostic[], outcome = 'dist/ was not changed'): string {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const lines = sortDiagnostics(errors).map(formatDiagnostic);
    return (
      `${errors.length} problem${errors.length === 1 ? '' : 's'} in the cluster ` +
      `profiles${outcome === '' ? '' : `; ${outcome}`}:\n${lines.map((l) => `  ${l}`).join('\n')}`
    );
  }
}
