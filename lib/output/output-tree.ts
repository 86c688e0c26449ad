/**
 * Rendered output as an in-memory tree of files, written to disk only once everything checked out.
 * Writing compares with what is there and touches only files whose bytes changed, so a pull
 * request's synth of a large fleet costs what the change costs.
 *
 * The write is planned in full before anything changes: a symbolic link, a device or a path in the
 * way that the scope does not own stops it with every such path named. Each file is written to a
 * temporary name and renamed over the old one, so no file is ever seen half-written; the output
 * folder is locked meanwhile, and SIGINT/SIGTERM/SIGHUP wait until the write is done.
 */
import * as fs from 'fs';
import * as path from 'path';
import { checkOutputFolder, makeFolder, OutputError, OutputGuard, OUTPUT_MARKER, OUTPUT_MARKER_TEXT, OWN_ENTRIES } from './output-folder';
import { LockHolder, lockOutputFolder } from './output-lock';
import { withSignalsHeld } from './signals';

/** Relative path (with `/`) to file content. */
export type OutputTree = Map<string, string>;

/**
 * A file's content kept outside memory (a cluster rendered in an earlier run, in the render
 * cache): read only when compared or written, so comparing a large dist/ with it costs a read of
 * each file, not a render.
 */
export interface KnownContent {
  /** The bytes as kept: fast, not checked. */
  bytes(): Buffer;
  /** The bytes checked against the hash they were kept with (rendered again if they do not match). */
  verifiedBytes(): Buffer;
}

export type OutputContent = string | KnownContent;

/** Files to make `outdir` hold: an `OutputTree`, or any source that can list and look up its paths. */
export interface OutputSource {
  [Symbol.iterator](): Iterator<readonly [string, OutputContent]>;
  has(rel: string): boolean;
}

/** Whether the file at `abs` holds exactly `content`. Kept bytes that differ are checked before they count as a difference. */
export function holdsContent(abs: string, content: OutputContent): boolean {
  const bytes = readBytesIfFile(abs);
  if (bytes === undefined) return false;
  if (typeof content === 'string') return bytes.length === Buffer.byteLength(content) && bytes.equals(encoded(content));
  return bytes.equals(content.bytes()) || bytes.equals(content.verifiedBytes());
}

/** What to write for `content`. */
export function contentToWrite(content: OutputContent): string | Buffer {
  return typeof content === 'string' ? content : content.verifiedBytes();
}

export function textOf(content: OutputContent): string {
  return typeof content === 'string' ? content : content.verifiedBytes().toString('utf8');
}

export interface ApplyResult {
  readonly written: number;
  readonly removed: number;
  readonly unchanged: number;
  /** An earlier synth that was killed while holding the lock; this write repaired what it left. */
  readonly recovered?: LockHolder;
}

/** Suffix of the temporary file each write goes through; a killed run's leftovers are removed by the next. */
export const TEMP_SUFFIX = '.netscale-tmp';

/**
 * Make `outdir` hold exactly `tree` within `scope`: files of the tree are written where their bytes
 * differ, files in scope that the tree lacks are removed, files outside the scope are left alone.
 * `scope` lists relative paths (files or folders); without it the whole `outdir` is in scope.
 * Throws `OutputError`, with nothing written, when the folder is not netscale's to own (see
 * `checkOutputFolder`), another synth holds it, or a path in it cannot be written safely.
 */
export function applyTree(tree: OutputSource, outdir: string, scope?: readonly string[], guard: OutputGuard = {}): ApplyResult {
  const root = checkOutputFolder(outdir, guard);
  makeFolder(root);
  return withSignalsHeld(() => {
    const lock = lockOutputFolder(root);
    try {
      const plan = planWrite(tree, root, scope ?? [''], outdir);
      return { ...execute(root, plan), ...(lock.recovered ? { recovered: lock.recovered } : {}) };
    } finally {
      lock.release();
    }
  });
}

interface Plan {
  /** Files of the tree whose bytes differ from what is there, with what to write. */
  readonly writes: ReadonlyArray<readonly [string, OutputContent]>;
  readonly unchanged: number;
  /** Files in scope that the tree lacks. */
  readonly stale: readonly string[];
  /** Entries in scope standing where the tree needs the other kind (a file for a folder, or back). */
  readonly inTheWay: readonly string[];
  /** Folders to create, parents first. */
  readonly newFolders: readonly string[];
  /** Folders in scope that may be empty at the end (empty now, or holding what goes), removed if they are. */
  readonly folders: readonly string[];
  readonly marker: boolean;
}

/** What the write will do, from a scan that follows no link; throws `OutputError` listing every unsafe path. */
function planWrite(tree: OutputSource, root: string, scope: readonly string[], outdir: string): Plan {
  const problems: string[] = [];
  const files = new Set<string>();
  const folders = new Set<string>();
  /** Folders listed whole: what they hold is known without another look at the disk. */
  const listed = new Set<string>();
  /** Listed folders that held nothing. */
  const empty = new Set<string>();
  /** Kinds of paths outside the scanned scopes, looked up once. */
  const kinds = new Map<string, 'file' | 'folder' | 'missing'>([['', 'folder']]);
  const at = (rel: string) => path.join(root, rel);
  const shown = (rel: string) => JSON.stringify(path.join(outdir, rel));

  const unsafe = (rel: string, stat: fs.Stats | fs.Dirent): boolean => {
    if (stat.isSymbolicLink()) {
      problems.push(
        `${shown(rel)} is a symbolic link (to ${fs.readlinkSync(at(rel))}): netscale never writes through a link in its output folder; remove it`,
      );
      return true;
    }
    if (!stat.isFile() && !stat.isDirectory()) {
      problems.push(`${shown(rel)} is neither a file nor a folder (a device, pipe or socket): remove it`);
      return true;
    }
    return false;
  };
  const kindOf = (rel: string): 'file' | 'folder' | 'missing' => {
    const known = kinds.get(rel) ?? (files.has(rel) ? 'file' : folders.has(rel) ? 'folder' : undefined);
    if (known) return known;
    const parent = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
    let kind: 'file' | 'folder' | 'missing' = 'missing';
    if (kindOf(parent) === 'folder' && !listed.has(parent)) {
      const stat = fs.lstatSync(at(rel), { throwIfNoEntry: false });
      kind = !stat ? 'missing' : unsafe(rel, stat) ? 'file' : stat.isDirectory() ? 'folder' : 'file';
    }
    kinds.set(rel, kind);
    return kind;
  };
  const scan = (rel: string) => {
    listed.add(rel);
    const entries = fs.readdirSync(at(rel), { withFileTypes: true });
    if (entries.length === 0) empty.add(rel);
    for (const entry of entries) {
      if (rel === '' && OWN_ENTRIES.has(entry.name)) continue;
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (unsafe(child, entry)) continue;
      if (entry.isDirectory()) {
        folders.add(child);
        scan(child);
      } else files.add(child);
    }
  };

  for (const s of scope) {
    if (s === '') {
      scan('');
      continue;
    }
    const kind = kindOf(s);
    if (kind === 'file') files.add(s);
    else if (kind === 'folder') {
      folders.add(s);
      scan(s);
    }
  }
  const inScope = (rel: string) => scope.some((s) => s === '' || rel === s || rel.startsWith(`${s}/`));

  const inTheWay = new Set<string>();
  const newFolders = new Set<string>();
  const writes: Array<readonly [string, OutputContent]> = [];
  let unchanged = 0;
  for (const [rel, content] of tree) {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const folder = parts.slice(0, i).join('/');
      const kind = inTheWay.has(folder) ? 'missing' : kindOf(folder);
      if (kind === 'missing') newFolders.add(folder);
      else if (kind === 'file') {
        if (inScope(folder) && files.has(folder)) {
          inTheWay.add(folder);
          newFolders.add(folder);
        } else if (!problems.some((p) => p.startsWith(shown(folder))))
          problems.push(`${shown(folder)} is a file where netscale needs a folder: remove it`);
      }
    }
    const kind = folders.has(rel) ? 'folder' : files.has(rel) ? 'file' : kindOf(rel);
    if (kind === 'folder') {
      if (inScope(rel)) inTheWay.add(rel);
      else problems.push(`${shown(rel)} is a folder where netscale writes a file: remove it`);
      writes.push([rel, content]);
    } else if (kind === 'file' && holdsContent(at(rel), content)) unchanged++;
    else writes.push([rel, content]);
  }
  if (problems.length > 0)
    throw new OutputError(
      `cannot write the output folder ${JSON.stringify(outdir)} safely; nothing was written:\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );

  const under = (rel: string, folder: string) => rel === folder || rel.startsWith(`${folder}/`);
  const gone = (rel: string) => [...inTheWay].some((w) => under(rel, w));
  const marker = fs.lstatSync(at(OUTPUT_MARKER), { throwIfNoEntry: false });
  if (marker && !marker.isFile()) throw new OutputError(`${shown(OUTPUT_MARKER)} is not a file: remove it; nothing was written`);
  const stale = [...files].filter((rel) => !tree.has(rel) && !gone(rel));
  // Only a folder that is empty now, or above something that goes, can be empty at the end: trying
  // every folder of a large dist/ cost a failed rmdir each.
  const emptied = new Set<string>();
  const parentOf = (rel: string) => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');
  const upFrom = (folder: string) => {
    for (let d = folder; d !== '' && !emptied.has(d); d = parentOf(d)) emptied.add(d);
  };
  for (const rel of empty) upFrom(rel);
  for (const rel of stale) upFrom(parentOf(rel));
  return {
    writes,
    unchanged,
    stale,
    inTheWay: [...inTheWay],
    newFolders: [...newFolders].sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : 1)),
    folders: [...folders].filter((rel) => !gone(rel) && emptied.has(rel)),
    marker: !marker || readFile(at(OUTPUT_MARKER)) !== OUTPUT_MARKER_TEXT,
  };
}

function execute(root: string, plan: Plan): ApplyResult {
  const at = (rel: string) => path.join(root, rel);
  // The marker first: a run killed from here on leaves a folder the next run recognises as its own.
  if (plan.marker) writeFileAtomically(at(OUTPUT_MARKER), OUTPUT_MARKER_TEXT);
  for (const rel of plan.inTheWay) fs.rmSync(at(rel), { recursive: true, force: true });
  for (const rel of plan.newFolders) fs.mkdirSync(at(rel));
  for (const [rel, content] of plan.writes) writeFileAtomically(at(rel), contentToWrite(content));
  for (const rel of plan.stale) fs.rmSync(at(rel), { force: true });
  // Empty folders (a removed cluster's) go too, deepest first; the output folder itself stays.
  for (const rel of [...plan.folders].sort((a, b) => b.length - a.length)) {
    try {
      fs.rmdirSync(at(rel));
    } catch {
      // not empty
    }
  }
  return { written: plan.writes.length, removed: plan.stale.length, unchanged: plan.unchanged };
}

/**
 * Write through a temporary file in the same folder and rename it over the target: readers see the
 * old bytes or the new ones, never a part. The temporary name is created exclusively, so a link
 * planted under that name is removed, never followed.
 */
function writeFileAtomically(file: string, content: string | Buffer): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}${TEMP_SUFFIX}`);
  try {
    fs.writeFileSync(temp, content, { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    fs.rmSync(temp, { force: true });
    fs.writeFileSync(temp, content, { flag: 'wx' });
  }
  fs.renameSync(temp, file);
}

function readFile(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The files below `outdir` within `scope`, as relative paths with `/`, for comparing: the lock
 * aside. Writing plans with its own, stricter scan.
 */
export function listOutput(outdir: string, scope?: readonly string[]): Set<string> {
  const files = new Set<string>();
  for (const root of scope ?? ['']) listFiles(outdir, root, files);
  return files;
}

function listFiles(outdir: string, rel: string, into: Set<string>): void {
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
  for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
    // The lock is a synth's own; the marker is compared like any file.
    if (rel === '' && OWN_ENTRIES.has(entry.name) && entry.name !== OUTPUT_MARKER) continue;
    const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) listFiles(outdir, child, into);
    else into.add(child);
  }
}

/** One buffer reused for every text compared with a file: the comparison allocates no string or buffer per file. */
let encodeBuffer = Buffer.allocUnsafe(1 << 20);

/** `text` as UTF-8, valid until the next call (a view of the shared buffer). */
function encoded(text: string): Buffer {
  const length = Buffer.byteLength(text);
  if (length > encodeBuffer.length) encodeBuffer = Buffer.allocUnsafe(Math.max(length, encodeBuffer.length * 2));
  encodeBuffer.write(text, 0, 'utf8');
  return encodeBuffer.subarray(0, length);
}

/** One buffer reused for every read: comparing a dist/ of 100,000 small files reads each once, without allocating. */
let readBuffer = Buffer.allocUnsafe(1 << 20);

/** The file's bytes, valid until the next call (a view of the shared buffer), or undefined when it cannot be read. */
function readBytesIfFile(abs: string): Buffer | undefined {
  let fd: number;
  try {
    fd = fs.openSync(abs, 'r');
  } catch {
    return undefined;
  }
  try {
    let length = 0;
    for (;;) {
      if (length === readBuffer.length) {
        const bigger = Buffer.allocUnsafe(readBuffer.length * 2);
        readBuffer.copy(bigger);
        readBuffer = bigger;
      }
      const n = fs.readSync(fd, readBuffer, length, readBuffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return readBuffer.subarray(0, length);
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}
