/**
 * Which folder netscale may own. A synth deletes whatever it did not render in its output folder,
 * so it refuses any folder where that would destroy something: the file system root, a git
 * repository, the clusters folder or a folder above it, and any non-empty folder it did not write.
 * A folder it wrote carries the marker file; a dist/ from before the marker is known by its layout.
 */
import * as fs from 'fs';
import * as path from 'path';

/** The marker netscale keeps at the top of its output folder (committed with dist/). */
export const OUTPUT_MARKER = '.netscale-output';
export const OUTPUT_MARKER_TEXT =
  'This folder is written by netscale (npm run synth): every synth replaces the files here and\n' +
  'deletes those it did not render. Change the ClusterProfiles instead.\n';
/** The lock a synth holds on its output folder while it writes (see output-lock.ts). */
export const LOCK_FILE = '.netscale-lock';
/** Entries of the output folder that belong to the folder itself, not to the rendered tree. */
export const OWN_ENTRIES: ReadonlySet<string> = new Set([OUTPUT_MARKER, LOCK_FILE, `${LOCK_FILE}.break`]);

/** The output folder cannot be used, or a path in it is in the way: nothing was written. */
export class OutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputError';
  }
}

export interface OutputGuard {
  /** The folder of profiles: the output folder may be neither it nor a folder above it. */
  readonly clustersDir?: string;
}

/**
 * The output folder as an absolute path with no symbolic link in it, once it is safe to own; throws
 * `OutputError` saying why not. The folder need not exist yet.
 */
export function checkOutputFolder(outdir: string, guard: OutputGuard = {}): string {
  if (outdir.trim() === '')
    throw new OutputError('no output folder given (CDK8S_OUTDIR is empty): set it to a folder netscale may own, such as dist; nothing was written');
  const shown = JSON.stringify(outdir);
  const refuse = (why: string) => new OutputError(`the output folder ${shown} ${why}; nothing was written`);
  const abs = path.resolve(outdir);
  const link = fs.lstatSync(abs, { throwIfNoEntry: false });
  if (link?.isSymbolicLink() && !fs.existsSync(abs)) throw refuse(`is a symbolic link to ${fs.readlinkSync(abs)}, which does not exist`);
  const real = realPath(abs);
  if (real === path.parse(real).root) throw refuse('is the root of the file system');
  if (real.split(path.sep).includes('.git')) throw refuse('lies inside a .git folder');
  if (guard.clustersDir !== undefined) {
    const clusters = realPath(path.resolve(guard.clustersDir));
    if (clusters === real) throw refuse('is the clusters folder: netscale would delete the profiles');
    if (clusters.startsWith(real + path.sep)) throw refuse(`holds the clusters folder (${guard.clustersDir}): netscale would delete the profiles`);
  }
  const stat = fs.statSync(real, { throwIfNoEntry: false });
  if (!stat) return real;
  if (!stat.isDirectory()) throw refuse('is a file, not a folder');
  const entries = fs.readdirSync(real, { withFileTypes: true }).filter((e) => !OWN_ENTRIES.has(e.name));
  if (entries.some((e) => e.name === '.git')) throw refuse('is the root of a git repository (it holds .git): netscale would delete the repository');
  if (entries.length === 0) return real;
  const marker = fs.lstatSync(path.join(real, OUTPUT_MARKER), { throwIfNoEntry: false });
  if (marker?.isFile()) return real;
  const foreign = notEarlierOutput(real, entries);
  if (foreign.length === 0) return real;
  throw refuse(
    `holds files netscale did not write (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', ...' : ''}) and no ${OUTPUT_MARKER} marker: ` +
      'netscale deletes whatever it did not render in its output folder, so it writes only into an empty folder or one it wrote before; empty ' +
      'it or choose another CDK8S_OUTDIR',
  );
}

/** Create the folder and any missing parents one level at a time (a recursive mkdir spins on /proc). */
export function makeFolder(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !fs.existsSync(d); d = path.dirname(d)) {
    if (path.dirname(d) === d) break;
    missing.unshift(d);
  }
  for (const d of missing) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      throw new OutputError(`cannot create the output folder ${d}: ${(e as Error).message}; nothing was written`);
    }
  }
}

/**
 * The entries that do not fit a dist/ written before the marker existed: only folders, each holding
 * only files; the reviews Markdown, the values YAML, every other folder (a cluster's, argocd)
 * `<Kind>.<name>.k8s.yaml` files.
 */
function notEarlierOutput(dir: string, entries: readonly fs.Dirent[]): string[] {
  const fits = (folder: fs.Dirent) => {
    if (!folder.isDirectory() || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(folder.name)) return false;
    const fileName =
      folder.name === 'reviews' ? /\.md$/ : folder.name === 'values' ? /\.ya?ml$/ : /^[A-Za-z][A-Za-z0-9]*\.[A-Za-z0-9._-]+\.k8s\.yaml$/;
    return fs.readdirSync(path.join(dir, folder.name), { withFileTypes: true }).every((f) => f.isFile() && fileName.test(f.name));
  };
  return entries
    .filter((e) => !fits(e))
    .map((e) => (e.isDirectory() ? `${e.name}/` : e.name))
    .sort();
}

/** The real path of `abs`, or of its nearest existing ancestor with the rest appended. */
function realPath(abs: string): string {
  try {
    return fs.realpathSync(abs);
  } catch {
    const parent = path.dirname(abs);
    return parent === abs ? abs : path.join(realPath(parent), path.basename(abs));
  }
}
