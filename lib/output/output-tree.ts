/**
 * Rendered output as an in-memory tree of files, written to disk only once everything checked out.
 * Writing compares with what is there and touches only files whose bytes changed, so a pull
 * request's synth of a large fleet costs what the change costs.
 */
import * as fs from 'fs';
import * as path from 'path';

/** Relative path (with `/`) to file content. */
export type OutputTree = Map<string, string>;

export interface ApplyResult {
  readonly written: number;
  readonly removed: number;
  readonly unchanged: number;
}

/**
 * Make `outdir` hold exactly `tree` within `scope`: files of the tree are written where their bytes
 * differ, files in scope that the tree lacks are removed, files outside the scope are left alone.
 * `scope` lists relative paths (files or folders); without it the whole `outdir` is in scope.
 */
export function applyTree(tree: OutputTree, outdir: string, scope?: readonly string[]): ApplyResult {
  const existing = new Set<string>();
  const dirs = new Set<string>();
  const roots = scope ?? [''];
  for (const root of roots) listFiles(outdir, root, existing, dirs);

  let written = 0;
  let unchanged = 0;
  const madeDirs = new Set<string>();
  for (const [rel, content] of tree) {
    const abs = path.join(outdir, rel);
    if (existing.has(rel) && readIfFile(abs) === content) {
      unchanged++;
      continue;
    }
    const dir = path.dirname(abs);
    if (!madeDirs.has(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      madeDirs.add(dir);
    }
    fs.writeFileSync(abs, content);
    written++;
  }

  let removed = 0;
  for (const rel of existing) {
    if (tree.has(rel)) continue;
    fs.rmSync(path.join(outdir, rel), { force: true });
    removed++;
  }
  // Empty folders (a removed cluster's) go too, deepest first; the output folder itself stays.
  for (const rel of [...dirs].sort((a, b) => b.length - a.length)) {
    try {
      fs.rmdirSync(path.join(outdir, rel));
    } catch {
      // not empty
    }
  }
  if (!fs.existsSync(outdir)) fs.mkdirSync(outdir, { recursive: true });
  return { written, removed, unchanged };
}

function listFiles(outdir: string, rel: string, into: Set<string>, dirs: Set<string>): void {
  const abs = path.join(outdir, rel);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch {
    return;
  }
  if (stat.isFile()) {
    into.add(rel);
    return;
  }
  if (!stat.isDirectory()) return;
  if (rel !== '') dirs.add(rel);
  for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
    const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) listFiles(outdir, child, into, dirs);
    else into.add(child);
  }
}

function readIfFile(abs: string): string | undefined {
  try {
    return fs.readFileSync(abs, 'utf8');
  } catch {
    return undefined;
  }
}
