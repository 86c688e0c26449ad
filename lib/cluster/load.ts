/**
 * Profiles to resolved clusters: each file checked (profile layer) and resolved, then the rules
 * across the fleet (unique names, one Argo CD source). Every problem of every file is collected.
 */
import { Diagnostic, wholeFileDiagnostic } from '../profile/diagnostics';
import {
  checkProfileText,
  displayPath,
  position,
  PreviousRenderLookup,
  profileFolderProblem,
  readProfileFile,
  repositoryPath,
  repositoryRoot,
  scanProfileFolder,
  unreadEntriesNotice,
} from '../profile/load';
import { ClusterProfile } from '../profile/schema';
import { Position, ProfileSource } from '../profile/source';
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

/**
 * What the checks across the fleet need of one profile: plain data, so a profile rendered in an
 * earlier run (and kept in the render cache) takes part without being parsed again.
 */
export interface FleetMember {
  /** Path as the user sees it. */
  readonly file: string;
  readonly name: string;
  /** Where metadata.name sits. */
  readonly namePosition: Position;
  /** What every Argo CD profile of the fleet must agree on, with where each field sits; the rollout stage. */
  readonly argocd?: FleetArgocd;
  /** Cilium delivered by its own Argo CD Application, named `<name>-cilium`. */
  readonly ciliumApplication: boolean;
}

const ARGOCD_SOURCE_FIELDS = ['repoURL', 'targetRevision', 'path', 'namespace'] as const;
type ArgocdSourceField = (typeof ARGOCD_SOURCE_FIELDS)[number];

type FleetArgocd = { readonly [F in ArgocdSourceField]: { readonly value: string; readonly position: Position } } & {
  readonly stage?: { readonly value: number; readonly position: Position };
  /** Resolved (the default where the profile gives none), and where the profile gives it. */
  readonly maxUpdate?: { readonly value: number | string; readonly given?: Position };
};

export function fleetMember(p: LoadedProfile): FleetMember {
  const a = p.cluster.argocd;
  const at = (field: string) => p.source.locate(['spec', 'argocd', field]);
  const given = p.profile.spec.argocd?.maxUpdate !== undefined;
  return {
    file: p.file,
    name: p.profile.metadata.name,
    namePosition: p.source.locate(['metadata', 'name']),
    ...(a
      ? {
          argocd: {
            ...(Object.fromEntries(ARGOCD_SOURCE_FIELDS.map((f) => [f, { value: a[f], position: at(f) }])) as {
              [F in ArgocdSourceField]: { value: string; position: Position };
            }),
            ...(a.stage !== undefined ? { stage: { value: a.stage, position: at('stage') } } : {}),
            ...(a.maxUpdate !== undefined ? { maxUpdate: { value: a.maxUpdate, ...(given ? { given: at('maxUpdate') } : {}) } } : {}),
          },
        }
      : {}),
    ciliumApplication: p.cluster.cilium?.delivery === 'argocd',
  };
}

export interface LoadResult {
  readonly profiles: readonly LoadedProfile[];
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Parse, check and resolve one profile's text; `repoFile` is its path in the repository, `previous`
 * gives what dist/ holds for a cluster.
 */
export function loadProfileText(
  file: string,
  text: string,
  repoFile?: string,
  previous?: PreviousRenderLookup,
): { profile?: LoadedProfile; diagnostics: Diagnostic[] } {
  const { checked, diagnostics } = checkProfileText(file, text, previous);
  if (!checked) return { diagnostics };
  // Sizing runs only on a consistent profile; its own findings (a capped count, a full zone) join the rest.
  const resolution = resolveProfile(checked.profile, checked.context);
  const positioned = [...diagnostics, ...resolution.findings.map((f) => position(checked.source, f))];
  if (positioned.some((d) => d.severity === 'error')) return { diagnostics: positioned };
  return {
    profile: {
      file,
      ...(repoFile !== undefined ? { repoFile } : {}),
      profile: checked.profile,
      cluster: resolution.cluster,
      source: checked.source,
      warnings: positioned,
    },
    diagnostics: positioned,
  };
}

/** Load every profile of `dir`. Names must be unique across the fleet. */
export function loadProfiles(dir: string, previous?: PreviousRenderLookup): LoadResult {
  const notAFolder = profileFolderProblem(dir);
  if (notAFolder) return { profiles: [], diagnostics: [notAFolder] };
  const profiles: LoadedProfile[] = [];
  const diagnostics: Diagnostic[] = [];
  const folder = scanProfileFolder(dir);
  const root = repositoryRoot(dir);
  for (const abs of folder.files) {
    const file = displayPath(abs);
    const read = readProfileFile(abs);
    if ('problem' in read) {
      diagnostics.push(wholeFileDiagnostic('error', file, read.problem));
      continue;
    }
    const result = loadProfileText(file, read.text, repositoryPath(abs, root), previous);
    diagnostics.push(...result.diagnostics);
    if (result.profile) profiles.push(result.profile);
  }
  const unread = unreadEntriesNotice(dir, folder);
  if (unread) diagnostics.push(unread);
  diagnostics.push(...fleetChecks(profiles.map(fleetMember)));
  if (profiles.length === 0 && !diagnostics.some((d) => d.severity === 'error')) {
    diagnostics.push(wholeFileDiagnostic('error', displayPath(dir), 'holds no ClusterProfile (*.yaml, *.yml)'));
  }
  return { profiles, diagnostics };
}

/** The rules across profiles: unique names, one Argo CD source, one maxUpdate per stage, no Application name taken twice. */
export function fleetChecks(members: readonly FleetMember[]): Diagnostic[] {
  return [...duplicateNames(members), ...fleetArgocd(members)];
}

function duplicateNames(members: readonly FleetMember[]): Diagnostic[] {
  const byName = new Map<string, FleetMember[]>();
  for (const p of members) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
  const out: Diagnostic[] = [];
  for (const [name, same] of byName) {
    if (same.length < 2) continue;
    for (const p of same) {
      const others = same.filter((o) => o !== p).map((o) => o.file);
      out.push({
        severity: 'error',
        file: p.file,
        ...p.namePosition,
        path: 'metadata.name',
        message: `"${name}" is also the name in ${others.join(', ')}: each cluster needs its own name (it names dist/${name}/)`,
      });
    }
  }
  return out;
}

/**
 * One root Application syncs dist/argocd/ for the whole fleet, so every profile that uses Argo CD
 * must name the same repository, revision, output folder and Argo CD namespace; and no Application
 * name may be taken twice (a cluster named like another cluster's Cilium Application).
 */
function fleetArgocd(members: readonly FleetMember[]): Diagnostic[] {
  const managed = members.filter((p) => p.argocd).sort((a, b) => (a.name < b.name ? -1 : 1));
  const out: Diagnostic[] = [];
  const first = managed[0];
  for (const p of managed.slice(1)) {
    for (const field of ARGOCD_SOURCE_FIELDS) {
      const mine = p.argocd![field];
      const theirs = first.argocd![field].value;
      if (mine.value === theirs) continue;
      out.push({
        severity: 'error',
        file: p.file,
        ...mine.position,
        path: `spec.argocd.${field}`,
        message:
          `is ${JSON.stringify(mine.value)} but ${first.file} has ${JSON.stringify(theirs)}: one root Application syncs dist/argocd/ ` +
          `for the whole fleet, so every profile must agree`,
      });
    }
  }
  out.push(...stageSteps(managed));
  const names = new Map(members.map((p) => [p.name, p]));
  for (const p of members) {
    const ciliumApp = `${p.name}-cilium`;
    const clash = names.get(ciliumApp);
    if (p.ciliumApplication && clash) {
      out.push({
        severity: 'error',
        file: clash.file,
        ...clash.namePosition,
        path: 'metadata.name',
        message: `"${ciliumApp}" is also the name of the Cilium Application of ${p.file}: rename this cluster`,
      });
    }
  }
  return out;
}

/**
 * The clusters of a stage are one RollingSync step, and a step has one maxUpdate: every profile of
 * a stage must give the same (unset is 100%). `managed` is sorted by name; the first of each stage
 * is the reference.
 */
function stageSteps(managed: readonly FleetMember[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const firstOfStage = new Map<number, FleetMember>();
  for (const p of managed) {
    const a = p.argocd!;
    if (a.stage === undefined) continue;
    const stage = a.stage.value;
    const first = firstOfStage.get(stage);
    if (!first) {
      firstOfStage.set(stage, p);
      continue;
    }
    const theirs = first.argocd!.maxUpdate?.value;
    if (a.maxUpdate?.value === theirs) continue;
    const show = (q: FleetMember) =>
      `${JSON.stringify(q.argocd!.maxUpdate?.value)}${q.argocd!.maxUpdate?.given === undefined ? ' (the default)' : ''}`;
    const step = 'the clusters of a stage are one RollingSync step, so they must give the same maxUpdate';
    const given = a.maxUpdate?.given;
    out.push({
      severity: 'error',
      file: p.file,
      ...(given ?? a.stage.position),
      path: `spec.argocd.${given ? 'maxUpdate' : 'stage'}`,
      message: given
        ? `is ${show(p)} but ${first.file}, also in stage ${stage}, has ${show(first)}: ${step}`
        : `puts the cluster in stage ${stage} with maxUpdate ${show(p)} but ${first.file}, also in stage ${stage}, has ${show(first)}: ${step}`,
    });
  }
  return out;
}
