/**
 * What the terminal gets: warnings (one line per rule in a big fleet, every one with --verbose;
 * the reviews always keep them all) and progress on a terminal.
 */
import { formatCount } from '../core/format';
import { citationSuffix, Diagnostic, formatDiagnostic, redactDiagnostic, sortDiagnostics } from '../profile/diagnostics';

/** Up to this many warnings print one by one; above it, one line per rule. */
export const WARNINGS_PRINTED_IN_FULL = 20;
const EXAMPLES = 3;

/**
 * The warning lines for the terminal. A rule is a field (map keys and list positions aside) with
 * the advice behind it: the same rule in a thousand clusters gets one line with the count, the
 * first cluster's message and three example clusters.
 */
export function warningLines(diagnostics: readonly Diagnostic[], clusterOfFile: ReadonlyMap<string, string>, verbose: boolean): string[] {
  const warnings = sortDiagnostics(diagnostics.filter((d) => d.severity === 'warning'));
  if (verbose || warnings.length <= WARNINGS_PRINTED_IN_FULL) return warnings.map((w) => `warning: ${formatDiagnostic(w)}`);
  const rules = new Map<string, Diagnostic[]>();
  for (const w of warnings) {
    const rule = `${w.path.replace(/\[[^\]]*\]/g, '[]')}\u0000${citationSuffix(w)}`;
    const list = rules.get(rule);
    if (list) list.push(w);
    else rules.set(rule, [w]);
  }
  const lines: string[] = [];
  for (const same of [...rules.values()].sort((a, b) => b.length - a.length)) {
    if (same.length === 1) {
      lines.push(`warning: ${formatDiagnostic(same[0])}`);
      continue;
    }
    const clusters = [...new Set(same.map((w) => clusterOfFile.get(w.file) ?? w.file))];
    const examples = clusters.slice(0, EXAMPLES).join(', ') + (clusters.length > EXAMPLES ? ', ...' : '');
    const first = redactDiagnostic(same[0]);
    const field = first.path === '' ? '' : `${first.path}: `;
    const source = citationSuffix(first);
    const count =
      same.length === clusters.length
        ? `${formatCount(clusters.length)} clusters`
        : `${formatCount(same.length)} times in ${formatCount(clusters.length)} clusters`;
    lines.push(`warning: ${count} (${examples}): ${field}${first.message}${source}; first in ${first.file}:${first.line}:${first.col}`);
  }
  lines.push(
    `netscale: ${formatCount(warnings.length)} warnings in ${formatCount(rules.size)} rules, one line each; --verbose prints every one, and ` +
      `each review lists its cluster's`,
  );
  return lines;
}

/** Fleets larger than this show progress on a terminal. */
export const PROGRESS_ABOVE = 200;

/** A progress line on a terminal, redrawn in place, at most every percent; nothing elsewhere. */
export function progressReporter(
  stream: { write(text: string): unknown; readonly isTTY?: boolean },
  what: string,
): { update(done: number, total: number): void; clear(): void } {
  let shown = -1;
  let drawn = false;
  return {
    update(done, total) {
      if (!stream.isTTY || total <= PROGRESS_ABOVE) return;
      const percent = Math.floor((100 * done) / total);
      if (percent === shown && done !== total) return;
      shown = percent;
      drawn = true;
      stream.write(`\r${what} ${formatCount(done)} of ${formatCount(total)} clusters (${percent}%)\u001b[K`);
    },
    clear() {
      if (drawn) stream.write('\r\u001b[K');
      drawn = false;
    },
  };
}
