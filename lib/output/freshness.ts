/**
 * Is dist/ what a synth would write? `check` and `diff` compare the rendered files with the folder,
 * one file at a time as they are rendered, and write nothing.
 */
import * as fs from 'fs';
import * as path from 'path';
import { holdsContent, listOutput, OutputContent, textOf } from './output-tree';

export type Difference = 'stale' | 'missing' | 'extra';

export interface FreshnessReport {
  /** Files whose bytes differ from the render. */
  readonly stale: readonly string[];
  /** Files the render has and the folder lacks. */
  readonly missing: readonly string[];
  /** Files the folder has and the render does not (a synth would delete them). */
  readonly extra: readonly string[];
  /** Files that match. */
  readonly fresh: number;
}

/** Called for each difference with the folder's text and the render's (undefined where there is none). */
export type DifferenceListener = (rel: string, kind: Difference, current: string | undefined, wanted: string | undefined) => void;

/**
 * Compares rendered files with `outdir` within `scope` (relative paths; the whole folder without
 * it), as `applyTree` would see them: `add` each rendered file, then `finish`.
 */
export class OutputComparison {
  private readonly existing: Set<string>;
  private readonly seen = new Set<string>();
  private readonly stale: string[] = [];
  private readonly missing: string[] = [];
  private fresh = 0;

  constructor(
    private readonly outdir: string,
    scope?: readonly string[],
    private readonly listener?: DifferenceListener,
  ) {
    this.existing = listOutput(outdir, scope);
  }

  add(rel: string, content: OutputContent): void {
    this.seen.add(rel);
    const abs = path.join(this.outdir, rel);
    if (!this.existing.has(rel)) {
      this.missing.push(rel);
      this.listener?.(rel, 'missing', undefined, textOf(content));
    } else if (holdsContent(abs, content)) {
      this.fresh++;
    } else {
      this.stale.push(rel);
      this.listener?.(rel, 'stale', readText(abs), textOf(content));
    }
  }

  finish(): FreshnessReport {
    const extra = [...this.existing].filter((rel) => !this.seen.has(rel)).sort();
    for (const rel of extra) this.listener?.(rel, 'extra', readText(path.join(this.outdir, rel)), undefined);
    return { stale: [...this.stale].sort(), missing: [...this.missing].sort(), extra, fresh: this.fresh };
  }
}

function readText(abs: string): string | undefined {
  try {
    return fs.readFileSync(abs, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * A unified diff of one file (`diff -u` style, three lines of context), `label` naming it on both
 * sides; `/dev/null` stands for the side that has no file. Empty when the texts are equal.
 */
export function unifiedDiff(label: string, before: string | undefined, after: string | undefined, context = 3): string {
  if (before === after) return '';
  const a = splitLines(before ?? '');
  const b = splitLines(after ?? '');
  const edits = diffLines(a, b);
  // a/ and b/ as git writes them, for `git apply`; an absolute path stands as it is.
  const side = (prefix: string) => (label.startsWith('/') ? label : `${prefix}${label}`);
  const header = `--- ${before === undefined ? '/dev/null' : side('a/')}\n+++ ${after === undefined ? '/dev/null' : side('b/')}\n`;
  const hunks: string[] = [];
  let i = 0;
  while (i < edits.length) {
    if (edits[i].op === ' ') {
      i++;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` lines after the last change
    // that is at most 2 * context unchanged lines away.
    let start = i;
    while (start > 0 && i - start < context && edits[start - 1].op === ' ') start--;
    let end = i;
    for (;;) {
      while (end < edits.length && edits[end].op !== ' ') end++;
      let gap = end;
      while (gap < edits.length && edits[gap].op === ' ') gap++;
      if (gap < edits.length && gap - end <= 2 * context) end = gap;
      else {
        end = Math.min(end + context, edits.length);
        break;
      }
    }
    const slice = edits.slice(start, end);
    const aStart = slice.find((e) => e.op !== '+')?.a ?? edits.slice(0, start).filter((e) => e.op !== '+').length;
    const bStart = slice.find((e) => e.op !== '-')?.b ?? edits.slice(0, start).filter((e) => e.op !== '-').length;
    const aCount = slice.filter((e) => e.op !== '+').length;
    const bCount = slice.filter((e) => e.op !== '-').length;
    const lines = slice.map((e) => `${e.op}${e.text}`);
    hunks.push(`@@ -${range(aStart, aCount)} +${range(bStart, bCount)} @@\n${lines.join('\n')}\n`);
    i = end;
  }
  return header + hunks.join('');
}

/** `start,count` as diff writes it: 1-based; an empty side names the line before it. */
function range(start0: number, count: number): string {
  if (count === 0) return `${start0},0`;
  return count === 1 ? `${start0 + 1}` : `${start0 + 1},${count}`;
}

interface Edit {
  readonly op: ' ' | '-' | '+';
  readonly text: string;
  /** 0-based line in the old text (for ' ' and '-'). */
  readonly a?: number;
  /** 0-based line in the new text (for ' ' and '+'). */
  readonly b?: number;
}

/** Lines of a text; a last line without a newline is marked the way diff marks it. */
function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else lines[lines.length - 1] += '\n\\ No newline at end of file';
  return lines;
}

/**
 * The shortest edit script from `a` to `b` (Myers' O(ND) greedy algorithm), as one edit per
 * line: kept, removed or added. Rendered files are small, so the whole trace is kept.
 */
function diffLines(a: readonly string[], b: readonly string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  trace.push(v.slice());
  // Walk the trace back from the end to recover the path.
  const edits: Edit[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 2; d >= 0; d--) {
    const vd = trace[d];
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[offset + k - 1] < vd[offset + k + 1]) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : vd[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      edits.push({ op: ' ', text: a[x], a: x, b: y });
    }
    if (d === 0) break;
    if (x === prevX) {
      y--;
      edits.push({ op: '+', text: b[y], b: y });
    } else {
      x--;
      edits.push({ op: '-', text: a[x], a: x });
    }
  }
  while (x > 0 && y > 0) {
    x--;
    y--;
    edits.push({ op: ' ', text: a[x], a: x, b: y });
  }
  return edits.reverse();
}
