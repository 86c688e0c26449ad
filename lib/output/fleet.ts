/**
 * A fleet of profiles to dist/: load and check every profile, render every file, and only then
 * write what changed. Any problem, or a SIGINT/SIGTERM before the write, leaves dist/ exactly as
 * it was. The output folder is checked first (see output-folder.ts), so a folder that is not
 * netscale's to own is refused before any work is done.
 *
 * Clusters render one at a time, each on its own, so memory does not grow with the fleet; with a
 * render cache, a profile whose result cannot have changed (see render-cache.ts) is not parsed or
 * rendered again: its facts join the checks across the fleet and its files are compared by hash.
 */
import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { FleetMember, fleetChecks, fleetMember, LoadedProfile, loadProfileText } from '../cluster/load';
import { Diagnostic, ProfileError, wholeFileDiagnostic } from '../profile/diagnostics';
import {
  displayPath,
  listProfileFiles,
  profileFolderProblem,
  readProfileFile,
  repositoryPath,
  repositoryRoot,
  scanProfileFolder,
  unreadEntriesNotice,
} from '../profile/load';
import { checkOutputFolder } from './output-folder';
import { ApplyResult, applyTree, KnownContent, OutputContent, OutputSource, OutputTree } from './output-tree';
import { previousFingerprintIn, previousFingerprintOf, previousRenderIn, watchPreviousRender } from './previous';
import {
  ciliumValuesFile,
  ClusterFleetFacts,
  ClusterOutput,
  renderClusterFiles,
  renderFleetFiles,
  renderReviewOnly,
  renderTree,
  reviewFile,
} from './render';
import { CachedCluster, PreviousFingerprints, RenderCache } from './render-cache';

export interface FleetOptions {
  /** Folder of ClusterProfile files. */
  readonly clustersDir: string;
  /** Output folder: netscale owns everything in it, and refuses one that is not its own. */
  readonly outdir: string;
  /** A folder that gets a copy of what is written (the cdk8s CLI's staging folder). */
  readonly mirror?: string;
  /** Clusters rendered before, reused when nothing that shapes them changed. */
  readonly cache?: RenderCache;
  /** Render every profile, whatever the cache holds. */
  readonly full?: boolean;
  /** Called as each cluster is rendered or reused. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface FleetResult {
  readonly clusters: readonly string[];
  readonly warnings: readonly Diagnostic[];
  /** Cluster name by profile file, for reports that group warnings by cluster. */
  readonly clusterOfFile: ReadonlyMap<string, string>;
  /** Clusters rendered in this run, and clusters taken from the render cache. */
  readonly rendered: number;
  readonly reused: number;
}

/** A synth rendered, not written yet: commit writes it to dist/. */
export interface StagedSynth {
  readonly result: FleetResult;
  /** Every file of the output, with the part of dist/ it owns (undefined: all of it). */
  readonly output: OutputSource;
  readonly scope?: readonly string[];
  /** Write into the output folder; throws `OutputError` with nothing written if that is not safe. */
  commit(): ApplyResult;
}

/** Load, check and synthesize every profile; throws `ProfileError` listing every problem. */
export function synthesizeFleet(options: FleetOptions): FleetResult {
  const staged = stageFleet(options);
  staged.commit();
  return staged.result;
}

/**
 * What rendering one profile gives: every problem it has; once it passed its checks, its facts;
 * and, when it has no error at all, its files.
 */
export interface RenderOutcome {
  readonly diagnostics: readonly Diagnostic[];
  /** Set once the profile passed its checks: its cluster's name, its `FleetMember` as JSON text, its warnings. */
  readonly name?: string;
  readonly member?: string;
  readonly warnings?: readonly Diagnostic[];
  /** Its `ClusterFleetFacts` as JSON text, once it rendered (even with problems in its files). */
  readonly fleet?: string;
  readonly output?: Pick<ClusterOutput, 'name' | 'files'>;
  /** Set when the profile's rules read what dist/ holds for it (see render-cache.ts). */
  readonly previous?: PreviousFingerprints;
}

/** Where a profile sits and how it is rendered. */
export interface RenderJobOptions {
  /** `false` once the pass has failed: only the problems are wanted. */
  readonly render: boolean;
  /** Its path in the repository, as its review records it. */
  readonly repoFile?: string;
  /** The output folder, for the rules that compare with what it holds. */
  readonly outdir?: string;
}

/** Load, check, resolve and render one profile's text; nothing throws for a problem of the profile. */
export function renderProfileText(file: string, text: string, options: RenderJobOptions = { render: true }): RenderOutcome {
  const watched = options.outdir !== undefined ? watchPreviousRender(options.outdir) : undefined;
  const loaded = loadProfileText(file, text, options.repoFile, watched?.lookup);
  if (!loaded.profile) return { diagnostics: loaded.diagnostics };
  // Facts travel as JSON text: a large fleet keeps them for every cluster until the end (render-cache.ts).
  const facts = { name: loaded.profile.cluster.name, member: JSON.stringify(fleetMember(loaded.profile)), warnings: loaded.profile.warnings };
  if (!options.render) return { diagnostics: loaded.diagnostics, ...facts };
  const { output, problems } = renderClusterFiles(loaded.profile);
  const fleet = JSON.stringify(output.fleet);
  if (problems.length > 0) return { diagnostics: [...loaded.diagnostics, ...problems], ...facts, fleet };
  const read = watched?.read();
  const previous = read !== undefined ? { read, written: previousFingerprintOf(output.name, output.files) } : undefined;
  return { diagnostics: loaded.diagnostics, ...facts, fleet, output: { name: output.name, files: output.files }, ...(previous ? { previous } : {}) };
}

/** Renders profiles for a pass over the fleet: in this thread, or in a pool of worker threads. */
export interface ProfileRenderer {
  /** The profiles the pass will ask for, in order, so a pool can start on all of them at once. */
  prefetch?(jobs: ReadonlyArray<{ readonly file: string; readonly text: string; readonly options: RenderJobOptions }>): void;
  render(file: string, text: string, options: RenderJobOptions): RenderOutcome;
  close?(): void;
  /** Threads the last pass rendered with; 0 when it rendered in this thread only. */
  threads?(): number;
}

const IN_THIS_THREAD: ProfileRenderer = { render: renderProfileText };

/** `displayPath` for the files of one folder, without asking the file system for each. */
function displayPathsIn(dir: string): (file: string) => string {
  const rel = path.relative(process.cwd(), dir);
  if (rel === '') return (file) => path.basename(file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return (file) => file;
  return (file) => path.join(rel, path.basename(file));
}

/** One cluster's files, ready to compare or write: its text, or its hash and a way to read it. */
export interface ClusterPart {
  readonly name: string;
  readonly files: ReadonlyArray<readonly [string, OutputContent]>;
}

/** What a pass over the fleet found, complete once its parts are all taken. */
export interface FleetPass {
  readonly diagnostics: Diagnostic[];
  readonly clusters: string[];
  readonly clusterOfFile: Map<string, string>;
  /** Each cluster's profile, to load it again for a message about a fleet-wide file. */
  readonly sources: Map<string, { readonly abs: string; readonly file: string; readonly repoFile: string }>;
  /** What the fleet-wide files need of each cluster (`ClusterFleetFacts` as JSON text), in profile order. */
  readonly facts: string[];
  rendered: number;
  reused: number;
}

export function newFleetPass(): FleetPass {
  return { diagnostics: [], clusters: [], clusterOfFile: new Map(), sources: new Map(), facts: [], rendered: 0, reused: 0 };
}

/** Rendered text kept in memory for writing, beyond which a cached cluster's text is read back when needed. */
const KEEP_RENDERED_CHARS = 4 * 1024 * 1024;

interface Job {
  readonly abs: string;
  readonly file: string;
  readonly repoFile: string;
  text?: string;
  readonly key?: string;
  readonly cached?: CachedCluster;
}

/**
 * One pass over the fleet: every profile, in file order, taken from the cache or rendered, one
 * cluster at a time so nothing but the parts' files stays in memory. Every problem of every
 * profile is collected in `pass.diagnostics`, then the rules across the fleet; the caller must
 * write nothing when an error is there. Once a profile fails its checks the rest are only checked,
 * not rendered (no file would be written); a problem found in rendered files (a credential, two
 * objects for one file) lets the others render, so that every such problem is reported at once,
 * the fleet-wide files' included. Rendered clusters are stored in a writable cache.
 */
export function* fleetParts(options: FleetOptions, pass: FleetPass, renderer: ProfileRenderer = IN_THIS_THREAD): Generator<ClusterPart> {
  const dir = options.clustersDir;
  const notAFolder = profileFolderProblem(dir);
  if (notAFolder) {
    pass.diagnostics.push(notAFolder);
    return;
  }
  const folder = scanProfileFolder(dir);
  const root = repositoryRoot(dir);
  const cache = options.cache;
  const jobs: Job[] = [];
  const shown = displayPathsIn(dir);
  for (const abs of folder.files) {
    const file = shown(abs);
    const read = readProfileFile(abs);
    if ('problem' in read) {
      pass.diagnostics.push(wholeFileDiagnostic('error', file, read.problem));
      continue;
    }
    const repoFile = repositoryPath(abs, root);
    const key = cache?.key(file, repoFile, read.text);
    let cached = key !== undefined && !options.full ? cache!.lookup(key) : undefined;
    // A result that depended on what dist/ held holds only while dist/ holds the same.
    if (cached?.previous && !previousHolds(cached.previous, options.outdir, cached.name)) cached = undefined;
    // A reused cluster's text is not needed again.
    jobs.push({ abs, file, repoFile, text: cached ? undefined : read.text, key, cached });
  }
  const renderOptions = (job: Job, render: boolean): RenderJobOptions => ({ render, repoFile: job.repoFile, outdir: options.outdir });
  renderer.prefetch?.(jobs.filter((j) => j.text !== undefined).map((j) => ({ file: j.file, text: j.text!, options: renderOptions(j, true) })));

  // FleetMember of each cluster as JSON text, parsed for the checks across the fleet at the end.
  const members: string[] = [];
  const hasError = (ds: readonly Diagnostic[]) => ds.some((d) => d.severity === 'error');
  // Errors only ever get added: once one is there, it stays.
  let checkFailed = hasError(pass.diagnostics);
  let failed = checkFailed;
  let kept = 0;
  let done = 0;
  const joined = (job: Job, name: string, member: string) => {
    members.push(member);
    pass.clusters.push(name);
    pass.clusterOfFile.set(job.file, name);
    pass.sources.set(name, { abs: job.abs, file: job.file, repoFile: job.repoFile });
  };
  for (const job of jobs) {
    if (job.cached) {
      pass.diagnostics.push(...(JSON.parse(job.cached.warnings) as Diagnostic[]));
      joined(job, job.cached.name, job.cached.member);
      pass.facts.push(job.cached.fleet);
      pass.reused++;
      if (!failed) yield cachedPart(job, job.cached, cache!, options.outdir);
    } else {
      const outcome = renderer.render(job.file, job.text!, renderOptions(job, !checkFailed));
      job.text = undefined;
      pass.diagnostics.push(...outcome.diagnostics);
      checkFailed ||= outcome.member === undefined;
      failed ||= hasError(outcome.diagnostics);
      if (outcome.member !== undefined) joined(job, outcome.name!, outcome.member);
      if (outcome.fleet) pass.facts.push(outcome.fleet);
      const output = outcome.output;
      if (output && !failed) {
        pass.rendered++;
        const facts = { name: outcome.name!, member: outcome.member!, warnings: JSON.stringify(outcome.warnings), fleet: outcome.fleet! };
        const stored = cache && job.key !== undefined ? cache.store(job.key, output, facts, outcome.previous) : undefined;
        const size = output.files.reduce((n, [, text]) => n + text.length, 0);
        // Text beyond the budget is dropped here and read back from the cache if dist/ needs it.
        if (stored?.at && kept + size > KEEP_RENDERED_CHARS) yield cachedPart(job, stored, cache!, options.outdir);
        else {
          kept += size;
          yield { name: output.name, files: output.files };
        }
      }
    }
    options.onProgress?.(++done, jobs.length);
  }
  const unread = unreadEntriesNotice(dir, folder);
  if (unread) pass.diagnostics.push(unread);
  const across = fleetChecks(members.map((m) => JSON.parse(m) as FleetMember));
  pass.diagnostics.push(...across);
  if (members.length === 0 && !hasError(pass.diagnostics)) {
    pass.diagnostics.push(wholeFileDiagnostic('error', displayPath(dir), 'holds no ClusterProfile (*.yaml, *.yml)'));
  }
  if (failed && !checkFailed && !hasError(across)) {
    // Every profile passed its checks but some files failed: the fleet-wide files' problems join theirs.
    try {
      fleetFilesOf(pass, options.outdir, options.cache);
    } catch (e) {
      if (!(e instanceof ProfileError)) throw e;
      pass.diagnostics.push(...e.diagnostics);
    }
  }
}

/** Whether dist/ still holds, for a cluster, what its cached result was checked against or what it wrote. */
function previousHolds(previous: PreviousFingerprints, outdir: string, cluster: string): boolean {
  const now = previousFingerprintIn(outdir, cluster);
  return now === previous.read || now === previous.written;
}

/**
 * A cached cluster's files, read from the cache only when compared or written (and let go after:
 * the cache holds the last few). Bytes about to be written are checked against their hash; a
 * missing or damaged entry renders the profile again, and only then are its files held.
 */
function cachedPart(job: Job, entry: CachedCluster, cache: RenderCache, outdir: string): ClusterPart {
  const source = new CachedSource(job, entry.name, cache, outdir);
  // One small object per file: a large fleet holds tens of thousands of them until the write.
  return { name: entry.name, files: entry.files.map(([rel]) => [rel, new CachedContent(source, rel)] as const) };
}

/** Where a cached cluster's bytes come from: the cache, or a render when the cache fails them. */
class CachedSource {
  private rendered?: Map<string, Buffer>;

  constructor(
    private readonly job: Job,
    private readonly name: string,
    private readonly cache: RenderCache,
    private readonly outdir: string,
  ) {}

  bytes(rel: string): Buffer {
    return (this.rendered === undefined ? this.cache.read(this.job.key!)?.files.get(rel) : undefined) ?? this.verifiedBytes(rel);
  }

  verifiedBytes(rel: string): Buffer {
    if (this.rendered === undefined) {
      const kept = this.cache.read(this.job.key!);
      const bytes = kept?.intact() ? kept.files.get(rel) : undefined;
      if (bytes !== undefined) return bytes;
      this.rendered = rerender(this.job, this.name, this.outdir);
    }
    const bytes = this.rendered.get(rel);
    if (bytes === undefined) throw new Error(`${this.job.file} no longer renders ${rel}: run the synth again`);
    return bytes;
  }
}

class CachedContent implements KnownContent {
  constructor(
    private readonly source: CachedSource,
    private readonly rel: string,
  ) {}

  bytes(): Buffer {
    return this.source.bytes(this.rel);
  }

  verifiedBytes(): Buffer {
    return this.source.verifiedBytes(this.rel);
  }
}

/** A cache entry that went missing or was damaged: render the profile again, which must still be the same cluster. */
function rerender(job: Job, name: string, outdir: string): Map<string, Buffer> {
  const read = readProfileFile(job.abs);
  const outcome = 'text' in read ? renderProfileText(job.file, read.text, { render: true, repoFile: job.repoFile, outdir }) : undefined;
  if (!outcome?.output || outcome.output.name !== name) throw new Error(`${job.file} changed while netscale ran: run it again`);
  return new Map(outcome.output.files.map(([rel, text]) => [rel, Buffer.from(text, 'utf8')]));
}

/** The result of a finished pass; throws `ProfileError` listing every problem when there is an error. */
export function passResult(pass: FleetPass): FleetResult {
  if (pass.diagnostics.some((d) => d.severity === 'error')) throw new ProfileError(pass.diagnostics);
  return { clusters: pass.clusters, warnings: pass.diagnostics, clusterOfFile: pass.clusterOfFile, rendered: pass.rendered, reused: pass.reused };
}

/**
 * A cluster's profile loaded again, by name: only for a message that must point into it (a
 * credential in a fleet-wide file), since a pass keeps no profile once its cluster is rendered.
 */
export function profileOf(pass: FleetPass, outdir: string): (cluster: string) => LoadedProfile | undefined {
  return (cluster) => {
    const source = pass.sources.get(cluster);
    const read = source ? readProfileFile(source.abs) : undefined;
    if (!source || !read || 'problem' in read) return undefined;
    return loadProfileText(source.file, read.text, source.repoFile, previousRenderIn(outdir)).profile;
  };
}

/** The files spanning the fleet, from the clusters of a finished pass. */
export function fleetFilesOf(pass: FleetPass, outdir: string, cache?: RenderCache): Array<[string, string]> {
  return renderFleetFiles(
    (function* () {
      for (const text of pass.facts) yield JSON.parse(text) as ClusterFleetFacts;
    })(),
    { profileOf: profileOf(pass, outdir), ...(cache ? { memo: cache.fleetFiles() } : {}) },
  );
}

/** Everything `synthesizeFleet` does but the write into dist/: writes only to the cache. */
export function stageFleet(options: FleetOptions, renderer?: ProfileRenderer): StagedSynth {
  checkOutputFolder(options.outdir, { clustersDir: options.clustersDir });
  const pass = newFleetPass();
  let parts: ClusterPart[];
  try {
    parts = [...fleetParts(options, pass, renderer)];
  } finally {
    renderer?.close?.();
  }
  const result = passResult(pass);
  let fleetFiles: Array<[string, string]>;
  try {
    fleetFiles = fleetFilesOf(pass, options.outdir, options.cache);
  } finally {
    options.cache?.save({ prune: true });
  }
  const output = partsSource(parts, fleetFiles);
  return {
    result,
    output,
    commit: () => {
      const applied = applyTree(output, options.outdir, undefined, { clustersDir: options.clustersDir });
      if (options.mirror !== undefined) applyTree(output, options.mirror);
      return applied;
    },
  };
}

/** Parts and the fleet files as one source of files, each part's text read only while it is written. */
export function partsSource(parts: readonly ClusterPart[], fleetFiles: ReadonlyArray<readonly [string, string]>): OutputSource {
  const owner = new Map<string, string>();
  const claim = (file: string, by: string) => {
    const first = owner.get(file);
    // The rules across the fleet keep clusters apart (unique names, reserved names): this is the last guard.
    if (first !== undefined)
      throw new ProfileError([
        wholeFileDiagnostic('error', file, `two objects would be written to dist/${file}: ${first} and ${by}; give one of them another name`),
      ]);
    owner.set(file, by);
  };
  for (const p of parts) for (const [file] of p.files) claim(file, `a file of ${p.name}`);
  for (const [file] of fleetFiles) claim(file, 'a file of the whole fleet');
  return {
    has: (rel) => owner.has(rel),
    *[Symbol.iterator]() {
      for (const p of parts) yield* p.files;
      yield* fleetFiles;
    },
  };
}

/**
 * Synthesize one cluster of the fleet, for fast iteration: only profiles whose text mentions the
 * name are parsed, and only that cluster's folder, review and values file are written. The
 * fleet-wide files (dist/argocd/, the review index) and the checks across profiles are left to a
 * full synth, which CI runs.
 */
export function synthesizeCluster(options: FleetOptions & { readonly cluster: string }): FleetResult {
  const staged = stageCluster(options);
  staged.commit();
  return staged.result;
}

/** Everything `synthesizeCluster` does but the write into dist/. */
export function stageCluster(options: FleetOptions & { readonly cluster: string }): StagedSynth {
  checkOutputFolder(options.outdir, { clustersDir: options.clustersDir });
  if (!fs.existsSync(options.clustersDir)) return stageFleet(options); // the full path reports the missing folder
  const name = options.cluster;
  const candidates: LoadedProfile[] = [];
  const diagnostics: Diagnostic[] = [];
  const root = repositoryRoot(options.clustersDir);
  const files = listProfileFiles(options.clustersDir);
  for (const abs of files) {
    const read = readProfileFile(abs);
    // An unreadable file may be the cluster asked for: report it.
    if ('problem' in read) {
      diagnostics.push(wholeFileDiagnostic('error', displayPath(abs), read.problem));
      continue;
    }
    const text = read.text;
    if (!text.includes(name)) continue;
    const result = loadProfileText(displayPath(abs), text, repositoryPath(abs, root), previousRenderIn(options.outdir));
    if (result.profile?.profile.metadata.name === name) candidates.push(result.profile);
    // A broken file that mentions the name may be the cluster asked for: report it.
    else if (!result.profile) diagnostics.push(...result.diagnostics);
  }
  if (diagnostics.some((d) => d.severity === 'error')) throw new ProfileError(diagnostics);
  if (candidates.length === 0) {
    const names = clusterNames(files);
    const known = names.length > 0 ? `; it holds ${listNames(names, name)}` : '';
    throw new ProfileError([wholeFileDiagnostic('error', displayPath(options.clustersDir), `holds no ClusterProfile named "${name}"${known}`)]);
  }
  if (candidates.length > 1) {
    const shown = candidates.map((c) => c.file).join(' and ');
    throw new ProfileError(
      candidates.map((c) => ({
        severity: 'error' as const,
        file: c.file,
        ...c.source.locate(['metadata', 'name']),
        path: 'metadata.name',
        message: `"${name}" is the name in ${shown}: each cluster needs its own name`,
      })),
    );
  }
  const rendered = renderTree(candidates, { fleetIndex: false });
  // The cluster's Applications were rendered for its review; dist/argocd/ is the full synth's.
  const scope = [name, reviewFile(name), ciliumValuesFile(name)];
  const tree: OutputTree = new Map([...rendered].filter(([file]) => scope.some((s) => file === s || file.startsWith(`${s}/`))));
  return {
    result: { clusters: [name], warnings: candidates[0].warnings, clusterOfFile: new Map([[candidates[0].file, name]]), rendered: 1, reused: 0 },
    output: tree,
    scope,
    commit: () => {
      const applied = applyTree(tree, options.outdir, scope, { clustersDir: options.clustersDir });
      if (options.mirror !== undefined) applyTree(tree, options.mirror, scope);
      return applied;
    },
  };
}

/** metadata.name of every profile that has one, for "did you mean" lists. */
function clusterNames(files: readonly string[]): string[] {
  const names: string[] = [];
  for (const abs of files) {
    const read = readProfileFile(abs);
    if ('problem' in read) continue; // the full synth reports it
    const m = /^metadata:[ \t]*\n(?:[ \t]+.*\n)*?[ \t]+name:[ \t]*["']?([a-z0-9][-a-z0-9.]*)/m.exec(read.text);
    if (m) names.push(m[1]);
  }
  return [...new Set(names)].sort();
}

/** The names, closest to `wanted` first when there are many. */
function listNames(names: readonly string[], wanted: string): string {
  const LIMIT = 20;
  if (names.length <= LIMIT) return names.join(', ');
  const close = names.filter((n) => n.includes(wanted) || wanted.includes(n)).slice(0, LIMIT);
  const shown = [...close, ...names.filter((n) => !close.includes(n))].slice(0, LIMIT);
  return `${shown.join(', ')} and ${names.length - shown.length} more`;
}

/**
 * `explain`: one profile checked, resolved and reviewed in memory, nothing written. Throws
 * `ProfileError` with the same diagnostics synth would give for that file (against `outdir`, the
 * dist/ it would be synthesized into).
 */
export function explainProfile(file: string, outdir = 'dist'): { resolved: string; review: string; warnings: readonly Diagnostic[] } {
  const shown = displayPath(file);
  if (fs.statSync(file, { throwIfNoEntry: false })?.isDirectory()) {
    throw new ProfileError([wholeFileDiagnostic('error', shown, 'is a folder: explain takes one profile file, e.g. clusters/prod.yaml')]);
  }
  const read = readProfileFile(file);
  if ('problem' in read) throw new ProfileError([wholeFileDiagnostic('error', shown, read.problem)]);
  const result = loadProfileText(shown, read.text, repositoryPath(file, repositoryRoot(path.dirname(file))), previousRenderIn(outdir));
  if (!result.profile) throw new ProfileError(result.diagnostics);
  const {
    decisions: _d,
    notes: _n,
    steps: _s,
    rollout: _r,
    context: _c,
    verify: _v,
    rollback: _b,
    changes: _ch,
    ...resolved
  } = result.profile.cluster;
  return { resolved: stringify(resolved), review: renderReviewOnly(result.profile), warnings: result.profile.warnings };
}
