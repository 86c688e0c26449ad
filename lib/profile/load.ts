/**
 * Read ClusterProfiles: parse with positions, check the schema, then the rules that span fields.
 * Every problem of every file is collected; nothing stops at the first.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ClusterContext, PreviousRender } from '../core/cluster';
import { FieldPath, Finding, formatPath } from '../core/findings';
import { MAX_PROFILE_BYTES } from '../core/limits';
import { Diagnostic, redactDiagnostic, wholeFileDiagnostic } from './diagnostics';
import { checkProfile, clusterContext } from './rules';
import { clusterProfileSchema, ClusterProfile } from './schema';
import { AliasExpansionError, ProfileSource } from './source';
import { findingsFromIssues, PARSE_OPTIONS } from './zod-findings';

/** A profile that passed the schema and the rules: ready to resolve. */
export interface CheckedProfile {
  /** Path as the user sees it (relative to the working directory when possible). */
  readonly file: string;
  readonly profile: ClusterProfile;
  readonly context: ClusterContext;
  readonly source: ProfileSource;
  /** The rules' findings: warnings only. */
  readonly findings: readonly Finding[];
}

export const PROFILE_EXTENSIONS = ['.yaml', '.yml'];

/** What a folder of profiles holds: the profile files (links included) and every other entry. */
export interface ProfileFolder {
  /** Profile files, absolute or as given, sorted by name so every run reads them in the same order. */
  readonly files: readonly string[];
  /**
   * Names of the entries that are not read as profiles (other extensions, folders, hidden files
   * named like a profile); other hidden entries (.gitkeep, editors' swap files) are left out.
   */
  readonly others: readonly string[];
}

/**
 * The entries of a folder of profiles. A symbolic link counts as a profile by its own name, wherever
 * it points; nothing is dropped without a word.
 */
export function scanProfileFolder(dir: string): ProfileFolder {
  const files: string[] = [];
  const others: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    // Anything named like a profile is read as one; readProfileFile says why a link, a pipe or a
    // folder of that name cannot be.
    const profileLike = PROFILE_EXTENSIONS.includes(path.extname(e.name));
    if (e.name.startsWith('.')) {
      // A hidden profile (.prod.yaml) is no cluster, but looks like one: say so.
      if (profileLike) others.push(`${e.name} (hidden)`);
    } else if (profileLike) files.push(path.join(dir, e.name));
    else others.push(e.isDirectory() ? `${e.name}/` : e.name);
  }
  return { files: files.sort(), others: others.sort() };
}

/** Why `dir` cannot be read as a folder of profiles; undefined when it can. */
export function profileFolderProblem(dir: string): Diagnostic | undefined {
  if (fs.existsSync(dir) && fs.statSync(dir).isDirectory()) return undefined;
  return wholeFileDiagnostic('error', displayPath(dir), 'is not a folder of ClusterProfile files (set CLUSTERS_DIR)');
}

/** The one notice that names what a folder holds besides profiles; undefined when it holds nothing else. */
export function unreadEntriesNotice(dir: string, folder: ProfileFolder): Diagnostic | undefined {
  if (folder.others.length === 0) return undefined;
  const message = `holds entries that are not read as profiles (profiles end in ${PROFILE_EXTENSIONS.join(' or ')}): ${folder.others.join(', ')}`;
  return wholeFileDiagnostic('warning', displayPath(dir), message);
}

/** Profile files of a folder, sorted by name so every run reads them in the same order. */
export function listProfileFiles(dir: string): string[] {
  return [...scanProfileFolder(dir).files];
}

/**
 * A profile's text, or why it cannot be read: a link to nothing, a folder, a device or pipe (which
 * could block forever), or a file over the size limit.
 */
export function readProfileFile(file: string): { text: string } | { problem: string } {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    const link = fs.lstatSync(file, { throwIfNoEntry: false });
    if (link?.isSymbolicLink())
      return { problem: `is a symbolic link to ${fs.readlinkSync(file)}, which cannot be read (${(e as NodeJS.ErrnoException).code})` };
    return { problem: `cannot be read: ${(e as Error).message}` };
  }
  if (!stat.isFile())
    return { problem: `is not a regular file (${stat.isDirectory() ? 'a folder' : 'a device, pipe or socket'}): a profile is a YAML file` };
  if (stat.size > MAX_PROFILE_BYTES) return { problem: `is ${stat.size} bytes; a profile may hold at most ${MAX_PROFILE_BYTES} (1 MiB)` };
  try {
    return { text: fs.readFileSync(file, 'utf8') };
  } catch (e) {
    return { problem: `cannot be read: ${(e as Error).message}` };
  }
}

export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/**
 * The repository a folder of profiles lives in: the nearest folder above it that holds `.git`, else
 * the folder's parent. Paths written into dist/ are relative to it, whatever the working directory.
 */
export function repositoryRoot(dir: string): string {
  const start = path.resolve(dir);
  for (let d = start; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, '.git'))) return d;
    if (path.dirname(d) === d) return path.dirname(start);
  }
}

/** `file` relative to `root`, with `/`, as dist/ records it. */
export function repositoryPath(file: string, root: string): string {
  return path.relative(root, path.resolve(file)).split(path.sep).join('/');
}

/** What the last synth rendered for a cluster, by name; undefined where nothing is known. */
export type PreviousRenderLookup = (cluster: string) => PreviousRender | undefined;

/**
 * Parse and check one profile's text; `diagnostics` holds every problem, positioned. `previous`
 * gives what dist/ holds for the cluster, for rules that refuse changes made in place.
 */
export function checkProfileText(
  file: string,
  text: string,
  previous?: PreviousRenderLookup,
): { checked?: CheckedProfile; diagnostics: Diagnostic[] } {
  const source = ProfileSource.parse(file, text);
  const diagnostics: Diagnostic[] = source.errors.map((e) => ({
    severity: 'error',
    file,
    ...e.position,
    path: e.path ? formatPath(e.path) : '',
    message: e.message,
  }));
  if (diagnostics.length > 0) return { diagnostics };

  let input: unknown;
  try {
    input = source.toJS();
  } catch (e) {
    if (e instanceof AliasExpansionError) return { diagnostics: [{ severity: 'error', file, ...e.position, path: '', message: e.message }] };
    throw e;
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return {
      diagnostics: [wholeFileDiagnostic('error', file, 'must be a ClusterProfile mapping (apiVersion, kind, metadata, spec)')],
    };
  }

  // A `__proto__` key is lost in every JavaScript object the schema builds: refuse it instead.
  const protoKeys = keyPaths(input, '__proto__').map((p) =>
    position(source, { severity: 'error', path: p, message: RESERVED_KEY_MESSAGE, atKey: true }),
  );
  if (protoKeys.length > 0) return { diagnostics: protoKeys };

  const parsed = clusterProfileSchema.safeParse(input, PARSE_OPTIONS);
  if (!parsed.success)
    return {
      diagnostics: findingsFromIssues(clusterProfileSchema, input, parsed.error.issues, (p) => source.scalarText(p)).map((f) => position(source, f)),
    };
  const before = previous?.(parsed.data.metadata.name);
  const findings = checkProfile(parsed.data, before);
  const positioned = findings.map((f) => position(source, f));
  if (findings.some((f) => f.severity === 'error')) return { diagnostics: positioned };
  return { checked: { file, profile: parsed.data, context: clusterContext(parsed.data, before), source, findings }, diagnostics: positioned };
}

const RESERVED_KEY_MESSAGE = 'is a key netscale cannot keep (JavaScript reserves __proto__ and would drop it silently): rename it';

/** Paths of every own key named `key`, at any depth. */
function keyPaths(value: unknown, key: string, at: FieldPath = []): FieldPath[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => keyPaths(item, key, [...at, i]));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => (k === key ? [[...at, k]] : keyPaths(v, key, [...at, k])));
}

export function position(source: ProfileSource, f: Finding): Diagnostic {
  const pos = source.locate(f.path, f.atKey === true);
  return redactDiagnostic({
    severity: f.severity,
    file: source.file,
    line: pos.line,
    col: pos.col,
    path: formatPath(f.path),
    message: f.message,
    source: f.source,
  });
}
