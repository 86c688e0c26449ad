/**
 * Profiles to resolved clusters: each file checked (profile layer) and resolved, then the rules
 * across the fleet (unique names, one Argo CD source). Every problem of every file is collected.
 */
import * as fs from 'fs';
import { Diagnostic } from '../profile/diagnostics';
import { checkProfileText, displayPath, position, PreviousRenderLookup, PROFILE_EXTENSIONS, readProfileFile, repositoryPath, repositoryRoot, scanProfileFolder } from '../profile/load';
import { ClusterProfile } from '../profile/schema';
import { ProfileSource } from '../profile/source';
import { ResolvedCluster, resolveProfile } from './resolve';

export interface LoadedProfile {
  /** Path as the user sees it (relative to the working directory when possible). */
  readonly file: string;
  /** Path relative to the repository, as dist/ records it (see `repositoryRoot`); `file` when unknown. */
  readonly repoFile?: string;
  readonly profile: ClusterProfile;
  /** Defaults applied and sizing done: what the constructs and the review take. */
  readonly cluster: ResolvedCluster;
  readonly source: ProfileSource;
  /** Warnings about this profile, positioned. */
  readonly warnings: readonly Diagnostic[];
}

export interface LoadResult {
  readonly profiles: readonly LoadedProfile[];
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Parse, check and resolve one profile's text; `repoFile` is its path in the repository, `previous`
 * gives what dist/ holds for a cluster.
 */
export function loadProfileText(file: string, text: string, repoFile?: string, previous?: PreviousRenderLookup): { profile?: LoadedProfile; diagnostics: Diagnostic[] } {
  const { checked, diagnostics } = checkProfileText(file, text, previous);
  if (!checked) return { diagnostics };
  // Sizing runs only on a consistent profile; its own findings (a capped count, a full zone) join the rest.
  const resolution = resolveProfile(checked.profile, checked.context);
  const positioned = [...diagnostics, ...resolution.findings.map((f) => position(checked.source, f))];
  if (positioned.some((d) => d.severity === 'error')) return { diagnostics: positioned };
  return { profile: { file, ...(repoFile !== undefined ? { repoFile } : {}), profile: checked.profile, cluster: resolution.cluster, source: checked.source, warnings: positioned }, diagnostics: positioned };
}

/** Load every profile of `dir`. Names must be unique across the fleet. */
export function loadProfiles(dir: string, previous?: PreviousRenderLookup): LoadResult {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    return { profiles: [], diagnostics: [{ severity: 'error', file: displayPath(dir), line: 1, col: 1, path: '', message: 'is not a folder of ClusterProfile files (set CLUSTERS_DIR)' }] };
  }
  const profiles: LoadedProfile[] = [];
  const diagnostics: Diagnostic[] = [];
  const folder = scanProfileFolder(dir);
  const root = repositoryRoot(dir);
  for (const abs of folder.files) {
    const file = displayPath(abs);
    const read = readProfileFile(abs);
    if ('problem' in read) {
      diagnostics.push({ severity: 'error', file, line: 1, col: 1, path: '', message: read.problem });
      continue;
    }
    const result = loadProfileText(file, read.text, repositoryPath(abs, root), previous);
    diagnostics.push(...result.diagnostics);
    if (result.profile) profiles.push(result.profile);
  }
  if (folder.others.length > 0) {
    diagnostics.push({ severity: 'warning', file: displayPath(dir), line: 1, col: 1, path: '', message: `holds entries that are not read as profiles (profiles end in ${PROFILE_EXTENSIONS.join(' or ')}): ${folder.others.join(', ')}` });
  }
  diagnostics.push(...duplicateNames(profiles), ...fleetArgocd(profiles));
  if (profiles.length === 0 && !diagnostics.some((d) => d.severity === 'error')) {
    diagnostics.push({ severity: 'error', file: displayPath(dir), line: 1, col: 1, path: '', message: 'holds no ClusterProfile (*.yaml, *.yml)' });
  }
  return { profiles, diagnostics };
}

function duplicateNames(profiles: readonly LoadedProfile[]): Diagnostic[] {
  const byName = new Map<string, LoadedProfile[]>();
  for (const p of profiles) byName.set(p.profile.metadata.name, [...(byName.get(p.profile.metadata.name) ?? []), p]);
  const out: Diagnostic[] = [];
  for (const [name, same] of byName) {
    if (same.length < 2) continue;
    for (const p of same) {
      const others = same.filter((o) => o !== p).map((o) => o.file);
      const pos = p.source.locate(['metadata', 'name']);
      out.push({ severity: 'error', file: p.file, ...pos, path: 'metadata.name', message: `"${name}" is also the name in ${others.join(', ')}: each cluster needs its own name (it names dist/${name}/)` });
    }
  }
  return out;
}

/**
 * One root Application syncs dist/argocd/ for the whole fleet, so every profile that uses Argo CD
 * must name the same repository, revision, output folder and Argo CD namespace; and no Application
 * name may be taken twice (a cluster named like another cluster's Cilium Application).
 */
function fleetArgocd(profiles: readonly LoadedProfile[]): Diagnostic[] {
  const managed = [...profiles].filter((p) => p.cluster.argocd).sort((a, b) => (a.profile.metadata.name < b.profile.metadata.name ? -1 : 1));
  const out: Diagnostic[] = [];
  const first = managed[0];
  for (const p of managed.slice(1)) {
    for (const field of ['repoURL', 'targetRevision', 'path', 'namespace'] as const) {
      const mine = p.cluster.argocd![field];
      const theirs = first.cluster.argocd![field];
      if (mine === theirs) continue;
      const pos = p.source.locate(['spec', 'argocd', field]);
      out.push({ severity: 'error', file: p.file, ...pos, path: `spec.argocd.${field}`, message: `is ${JSON.stringify(mine)} but ${first.file} has ${JSON.stringify(theirs)}: one root Application syncs dist/argocd/ for the whole fleet, so every profile must agree` });
    }
  }
  out.push(...stageSteps(managed));
  const names = new Map(profiles.map((p) => [p.profile.metadata.name, p]));
  for (const p of profiles) {
    const ciliumApp = `${p.profile.metadata.name}-cilium`;
    const clash = names.get(ciliumApp);
    if (p.cluster.cilium?.delivery === 'argocd' && clash) {
      out.push({ severity: 'error', file: clash.file, ...clash.source.locate(['metadata', 'name']), path: 'metadata.name', message: `"${ciliumApp}" is also the name of the Cilium Application of ${p.file}: rename this cluster` });
    }
  }
  return out;
}

/**
 * The clusters of a stage are one RollingSync step, and a step has one maxUpdate: every profile of
 * a stage must give the same (unset is 100%). `managed` is sorted by name; the first of each stage
 * is the reference.
 */
function stageSteps(managed: readonly LoadedProfile[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const firstOfStage = new Map<number, LoadedProfile>();
  for (const p of managed) {
    const a = p.cluster.argocd!;
    if (a.stage === undefined) continue;
    const first = firstOfStage.get(a.stage);
    if (!first) {
      firstOfStage.set(a.stage, p);
      continue;
    }
    const theirs = first.cluster.argocd!.maxUpdate;
    if (a.maxUpdate === theirs) continue;
    const show = (q: LoadedProfile) => `${JSON.stringify(q.cluster.argocd!.maxUpdate)}${q.profile.spec.argocd?.maxUpdate === undefined ? ' (the default)' : ''}`;
    const step = 'the clusters of a stage are one RollingSync step, so they must give the same maxUpdate';
    const given = p.profile.spec.argocd?.maxUpdate !== undefined;
    const field = given ? 'maxUpdate' : 'stage';
    out.push({
      severity: 'error',
      file: p.file,
      ...p.source.locate(['spec', 'argocd', field]),
      path: `spec.argocd.${field}`,
      message: given
        ? `is ${show(p)} but ${first.file}, also in stage ${a.stage}, has ${show(first)}: ${step}`
        : `puts the cluster in stage ${a.stage} with maxUpdate ${show(p)} but ${first.file}, also in stage ${a.stage}, has ${show(first)}: ${step}`,
    });
  }
  return out;
}
