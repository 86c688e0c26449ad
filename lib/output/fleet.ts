/**
 * A fleet of profiles to dist/: load and check every profile, render every file in memory, and
 * only then write what changed. Any problem, or a SIGINT/SIGTERM before the write, leaves dist/
 * exactly as it was. The output folder is checked first (see output-folder.ts), so a folder that is
 * not netscale's to own is refused before any work is done.
 */
import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { LoadedProfile, loadProfiles, loadProfileText } from '../cluster/load';
import { Diagnostic, ProfileError } from '../profile/diagnostics';
import { displayPath, listProfileFiles, readProfileFile, repositoryPath, repositoryRoot } from '../profile/load';
import { checkOutputFolder } from './output-folder';
import { ApplyResult, applyTree, OutputTree } from './output-tree';
import { previousRenderIn } from './previous';
import { ciliumValuesFile, renderReviewOnly, renderTree, reviewFile } from './render';

export interface FleetOptions {
  /** Folder of ClusterProfile files. */
  readonly clustersDir: string;
  /** Output folder: netscale owns everything in it, and refuses one that is not its own. */
  readonly outdir: string;
  /** A folder that gets a copy of what is written (the cdk8s CLI's staging folder). */
  readonly mirror?: string;
}

export interface FleetResult {
  readonly clusters: readonly string[];
  readonly warnings: readonly Diagnostic[];
}

/** A synth rendered in memory, not written yet: commit writes it to dist/. */
export interface StagedSynth {
  readonly result: FleetResult;
  readonly tree: OutputTree;
  /** Write into the output folder; throws `OutputError` with nothing written if that is not safe. */
  commit(): ApplyResult;
}

/** Load, check and synthesize every profile; throws `ProfileError` listing every problem. */
export function synthesizeFleet(options: FleetOptions): FleetResult {
  const staged = stageFleet(options);
  staged.commit();
  return staged.result;
}

/** Everything `synthesizeFleet` does but the write into dist/. */
export function stageFleet(options: FleetOptions): StagedSynth {
  checkOutputFolder(options.outdir, { clustersDir: options.clustersDir });
  const loaded = loadProfiles(options.clustersDir, previousRenderIn(options.outdir));
  if (loaded.diagnostics.some((d) => d.severity === 'error')) throw new ProfileError(loaded.diagnostics);
  const tree = renderTree(loaded.profiles);
  return {
    tree,
    result: { clusters: loaded.profiles.map((p) => p.profile.metadata.name), warnings: loaded.diagnostics },
    commit: () => {
      const result = applyTree(tree, options.outdir, undefined, { clustersDir: options.clustersDir });
      if (options.mirror !== undefined) applyTree(tree, options.mirror);
      return result;
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
  for (const abs of listProfileFiles(options.clustersDir)) {
    const read = readProfileFile(abs);
    // An unreadable file may be the cluster asked for: report it.
    if ('problem' in read) {
      diagnostics.push({ severity: 'error', file: displayPath(abs), line: 1, col: 1, path: '', message: read.problem });
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
    throw new ProfileError([{ severity: 'error', file: displayPath(options.clustersDir), line: 1, col: 1, path: '', message: `holds no ClusterProfile named "${name}"` }]);
  }
  if (candidates.length > 1) {
    const files = candidates.map((c) => c.file).join(' and ');
    throw new ProfileError(candidates.map((c) => ({ severity: 'error' as const, file: c.file, ...c.source.locate(['metadata', 'name']), path: 'metadata.name', message: `"${name}" is the name in ${files}: each cluster needs its own name` })));
  }
  const rendered = renderTree(candidates, { fleetIndex: false });
  // The cluster's Applications were rendered for its review; dist/argocd/ is the full synth's.
  const scope = [name, reviewFile(name), ciliumValuesFile(name)];
  const tree: OutputTree = new Map([...rendered].filter(([file]) => scope.some((s) => file === s || file.startsWith(`${s}/`))));
  return {
    tree,
    result: { clusters: [name], warnings: candidates[0].warnings },
    commit: () => {
      const result = applyTree(tree, options.outdir, scope, { clustersDir: options.clustersDir });
      if (options.mirror !== undefined) applyTree(tree, options.mirror, scope);
      return result;
    },
  };
}

/**
 * `explain`: one profile checked, resolved and reviewed in memory, nothing written. Throws
 * `ProfileError` with the same diagnostics synth would give for that file (against `outdir`, the
 * dist/ it would be synthesized into).
 */
export function explainProfile(file: string, outdir = 'dist'): { resolved: string; review: string; warnings: readonly Diagnostic[] } {
  const shown = displayPath(file);
  const read = readProfileFile(file);
  if ('problem' in read) throw new ProfileError([{ severity: 'error', file: shown, line: 1, col: 1, path: '', message: read.problem }]);
  const result = loadProfileText(shown, read.text, repositoryPath(file, repositoryRoot(path.dirname(file))), previousRenderIn(outdir));
  if (!result.profile) throw new ProfileError(result.diagnostics);
  const { decisions: _d, notes: _n, steps: _s, rollout: _r, context: _c, verify: _v, rollback: _b, changes: _ch, ...resolved } = result.profile.cluster;
  return { resolved: stringify(resolved), review: renderReviewOnly(result.profile), warnings: result.profile.warnings };
}
