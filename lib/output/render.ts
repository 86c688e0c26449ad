/**
 * Loaded profiles to the files of dist/, in memory: each cluster's objects (one per file, named
 * `<Kind>.<name>.k8s.yaml` as cdk8s names them), dist/argocd/, the Helm values files, the reviews
 * and the fleet index. Nothing here touches the disk.
 *
 * Each cluster renders in a cdk8s App of its own: what it puts into dist/ depends only on its own
 * profile (the fleet rules make every profile agree on what they share), so a fleet renders one
 * cluster at a time in constant memory, and a cluster rendered in an earlier run can be reused.
 * The files that span the fleet (the root Application, the staged ApplicationSets, the fleet
 * index) are built from each cluster's plain facts (`ClusterFleetFacts`).
 */
import * as crypto from 'crypto';
import { ApiObject, App, Chart, Yaml } from 'cdk8s';
import { IConstruct } from 'constructs';
import { ClusterChart } from '../cluster/cluster-chart';
import { LoadedProfile } from '../cluster/load';
import { ResolvedArgocd, ResolvedCluster } from '../cluster/resolve';
import { FieldPath, formatPath } from '../core/findings';
import { defaultPhase, ownershipOf, phaseOf, RenderedObject } from '../core/rollout';
import { ciliumValuesPath } from '../components/cilium/facts';
import { ciliumValuesYaml } from '../components/cilium/values';
import { deliverWithArgocd } from '../delivery/argocd/deliver';
import { ARGOCD_FOLDER } from '../delivery/argocd/directory-application';
import { argocdObjectsOf, clusterApplications, fleetApplication, StagedApplication, stagedApplicationSets } from '../delivery/argocd/fleet-chart';
import { HOOK_ANNOTATION } from '../delivery/argocd/sync-waves';
import { Diagnostic, ProfileError } from '../profile/diagnostics';
import { fleetIndexFacts, FleetIndexRow, renderFleetIndex } from '../review/fleet-index';
import { renderReview } from '../review/review';
import { OutputTree } from './output-tree';
import { findSecretsInTree, SecretFinding } from './secret-guard';

export const REVIEWS_DIR = 'reviews';
/** Helm values files for `helm install -f`: not Kubernetes objects, so outside every synced folder. */
export const VALUES_DIR = 'values';
export const MANIFEST_EXTENSION = '.k8s.yaml';
export const FLEET_INDEX = `${REVIEWS_DIR}/README.md`;

export interface RenderOptions {
  /** Render the review index, which spans the fleet. */
  readonly fleetIndex?: boolean;
}

/**
 * What the files spanning the fleet need of one cluster, as plain JSON: a cluster kept from an
 * earlier run (the render cache) takes its place in them without its profile.
 */
export interface ClusterFleetFacts {
  /** Its rows of the fleet index (the cluster table, the rollout stages, IPVS to nftables). */
  readonly index: FleetIndexRow;
  /** The Argo CD source, when Argo CD delivers it: the first such cluster names the root Application's. */
  readonly argocd?: ResolvedArgocd;
  /** A staged cluster's Applications and the elements that generate them, for the fleet's ApplicationSets. */
  readonly staged: readonly StagedApplication[];
}

/** Everything one cluster puts into dist/, and what the fleet-wide files need of it. */
export interface ClusterOutput {
  readonly name: string;
  /** Its cluster folder, its own Applications in dist/argocd/, its Helm values file and its review. */
  readonly files: ReadonlyArray<readonly [string, string]>;
  readonly fleet: ClusterFleetFacts;
}

/** A chart's objects rendered to YAML, with what the review lists of each. */
interface RenderedChart {
  readonly objects: RenderedObject[];
  /** Relative path, text, and the object it holds (for messages). */
  readonly files: Array<[string, string, ApiObject]>;
}

/** Who wrote a file of the tree: a second writer of the same path is an error naming both. */
interface Claim {
  readonly source: string;
  readonly profile?: LoadedProfile;
  /** A name the profile may give, to point at the field that chose it. */
  readonly name?: string;
}

export function ciliumValuesFile(cluster: string): string {
  return ciliumValuesPath(cluster);
}

export function reviewFile(cluster: string): string {
  return `${REVIEWS_DIR}/${cluster}.md`;
}

/**
 * Every file of dist/ for these profiles. Throws `ProfileError` if two objects would share a file
 * or any file would carry a credential.
 */
export function renderTree(profiles: readonly LoadedProfile[], options: RenderOptions = {}): OutputTree {
  const tree: OutputTree = new Map();
  const facts: ClusterFleetFacts[] = [];
  const problems: Diagnostic[] = [];
  for (const loaded of profiles) {
    const rendered = renderClusterFiles(loaded);
    facts.push(rendered.output.fleet);
    problems.push(...rendered.problems);
    for (const [file, text] of rendered.output.files) tree.set(file, text);
  }
  const byName = new Map(profiles.map((p) => [p.cluster.name, p]));
  // Rendered even when a cluster failed, so that every file a credential would reach is reported.
  try {
    for (const [file, text] of renderFleetFiles(facts, { ...options, profileOf: (name) => byName.get(name) })) tree.set(file, text);
  } catch (e) {
    if (!(e instanceof ProfileError)) throw e;
    problems.push(...e.diagnostics);
  }
  if (problems.length > 0) throw new ProfileError(problems);
  return tree;
}

/**
 * One cluster's files: its objects, its own Applications, its values file and its review. Throws
 * `ProfileError` if two of its objects would share a file or any file would carry a credential,
 * pointing at the profile field behind it.
 */
export function renderCluster(loaded: LoadedProfile): ClusterOutput {
  const rendered = renderClusterFiles(loaded);
  if (rendered.problems.length > 0) throw new ProfileError(rendered.problems);
  return rendered.output;
}

/**
 * `renderCluster` that returns its problems (two objects for one file, or else every credential
 * its files would carry) instead of throwing them, with the output it would have written: its
 * facts still take part in the fleet-wide files, so that their problems are reported too.
 */
export function renderClusterFiles(loaded: LoadedProfile): { readonly output: ClusterOutput; readonly problems: readonly Diagnostic[] } {
  const c = loaded.cluster;
  const app = new App();
  const chart = new ClusterChart(app, { cluster: c });
  deliverWithArgocd(chart);
  let argocd: Chart | undefined;
  let staged: StagedApplication[] = [];
  if (c.argocd) {
    argocd = new Chart(app, ARGOCD_FOLDER, { disableResourceNameHashes: true });
    staged = clusterApplications(argocd, chart);
  }
  validateConstructs(app);

  const files = new Map<string, string>();
  const claims = new Map<string, Claim>();
  const clashes: Diagnostic[] = [];
  const claim = (file: string, text: string, by: Claim) => {
    const first = claims.get(file);
    if (first) clashes.push(clash(file, first, by));
    else claims.set(file, by);
    files.set(file, text);
  };
  const rendered = renderChart(chart);
  for (const [file, text, o] of rendered.files) claim(file, text, { source: describe(o), profile: loaded, name: o.name });
  const own = new Map<string, RenderedObject>();
  if (argocd) {
    const applications = renderChart(argocd);
    for (const [file, text, o] of applications.files) claim(file, text, { source: describe(o), profile: loaded, name: o.name });
    for (const o of applications.objects) own.set(`${o.kind}/${o.name}`, o);
  }
  const valuesFiles: string[] = [];
  if (c.cilium) {
    claim(ciliumValuesFile(c.name), ciliumValuesYaml(c.cilium.values), { source: `the Cilium Helm values of ${c.name}`, profile: loaded });
    valuesFiles.push(ciliumValuesFile(c.name));
  }
  // Its own Applications, or the fleet's ApplicationSets that generate them.
  const apps = argocdObjectsOf(c, rendered.objects.length > 0).map((o) => own.get(`${o.kind}/${o.name}`) ?? fleetObject(o, c));
  // The review records where the profile lives in the repository, whatever the working directory.
  const profileFile = loaded.repoFile ?? loaded.file;
  const warnings = loaded.warnings.map((w) => (w.file === loaded.file ? { ...w, file: profileFile } : w));
  claim(reviewFile(c.name), renderReview({ cluster: c, profileFile, warnings, objects: rendered.objects, applications: apps, valuesFiles }), {
    source: `the review of ${c.name}`,
    profile: loaded,
  });
  const output = {
    name: c.name,
    files: [...files],
    fleet: { index: { cluster: fleetIndexFacts(c), warnings: loaded.warnings.length }, ...(c.argocd ? { argocd: c.argocd } : {}), staged },
  };
  if (clashes.length > 0) return { output, problems: clashes };
  return { output, problems: secretProblems(files, (file) => claims.get(file)?.profile, [loaded]) };
}

/** An object of dist/argocd/ rendered for the whole fleet (an ApplicationSet), as the review lists it. */
function fleetObject(o: { readonly kind: string; readonly name: string }, c: ResolvedCluster): RenderedObject {
  return { kind: o.kind, name: o.name, namespace: c.argocd?.namespace, file: manifestFile(o.kind, o.name), phase: defaultPhase(o.kind) };
}

/**
 * dist/argocd/'s fleet files (the root Application, the staged ApplicationSets) kept from an
 * earlier run, by a key that hashes everything they are made of: rendering the ApplicationSets of
 * thousands of staged clusters was most of what a synth after a one-profile change cost.
 */
export interface FleetFilesMemo {
  get(key: string): ReadonlyArray<readonly [string, string]> | undefined;
  set(key: string, files: ReadonlyArray<readonly [string, string]>): void;
}

export interface FleetFilesOptions extends RenderOptions {
  /**
   * A cluster's loaded profile, by name, to point a credential in a fleet-wide file at the field
   * it came from; asked only when there is one.
   */
  readonly profileOf?: (cluster: string) => LoadedProfile | undefined;
  readonly memo?: FleetFilesMemo;
}

/**
 * The files that span the fleet, from each cluster's facts in profile order: the root Application
 * (with the source of the first cluster Argo CD delivers), the ApplicationSets of the staged
 * clusters and the review index. Throws `ProfileError` if they would carry a credential.
 */
export function renderFleetFiles(clusters: Iterable<ClusterFleetFacts>, options: FleetFilesOptions = {}): Array<[string, string]> {
  let root: { readonly cluster: string; readonly argocd: ResolvedArgocd } | undefined;
  const rows: FleetIndexRow[] = [];
  const staged: StagedApplication[] = [];
  // Only what the files are made of is kept: a large fleet's facts are not all held at once.
  for (const f of clusters) {
    if (!root && f.argocd) root = { cluster: f.index.cluster.name, argocd: f.argocd };
    rows.push(f.index);
    staged.push(...f.staged);
  }
  const files: Array<[string, string]> = [];
  /** Kept from an earlier run, which found no credential in them. */
  const keptFiles: Array<[string, string]> = [];
  let remember = () => {};
  if (root) {
    // They are made of the root's source and the staged clusters' Applications, nothing else.
    const key = crypto
      .createHash('sha256')
      .update(JSON.stringify({ root: root.argocd, staged }))
      .digest('hex');
    const kept = options.memo?.get(key);
    if (kept) keptFiles.push(...kept.map(([file, text]) => [file, text] as [string, string]));
    else {
      const app = new App();
      const chart = new Chart(app, ARGOCD_FOLDER, { disableResourceNameHashes: true });
      fleetApplication(chart, root.argocd);
      stagedApplicationSets(chart, root.argocd.namespace, staged);
      validateConstructs(app);
      const rendered = renderChart(chart).files.map(([file, text]) => [file, text] as [string, string]);
      files.push(...rendered);
      // Kept only once they are known to carry no credential (below).
      remember = () => options.memo?.set(key, rendered);
    }
  }
  if (options.fleetIndex ?? true) files.push([FLEET_INDEX, renderFleetIndex(rows)]);
  // What each cluster put into them, to trace a credential back to its profile.
  const parts = () => {
    const byCluster = new Map<string, unknown[]>(rows.map((r) => [r.cluster.name, [r]]));
    for (const h of staged) byCluster.get(String(h.element.cluster))?.push(h);
    if (root) byCluster.get(root.cluster)?.push(root.argocd);
    return byCluster;
  };
  refuseFleetSecrets(files, parts, options.profileOf);
  remember();
  return [...keptFiles, ...files];
}

/** The review of one profile, rendered in memory (for `explain`). */
export function renderReviewOnly(loaded: LoadedProfile): string {
  const tree = renderTree([loaded], { fleetIndex: false });
  return tree.get(reviewFile(loaded.cluster.name))!;
}

function describe(o: ApiObject): string {
  const namespace = o.metadata.namespace;
  return `${o.kind} ${namespace ? `${namespace}/` : ''}${o.name} (${o.node.path})`;
}

/** Two writers of one file: the error points at the field that named the second, if one did. */
function clash(file: string, first: Claim, second: Claim): Diagnostic {
  const profile = second.profile ?? first.profile;
  const field = profile && second.name !== undefined ? fieldHolding(profile.profile, (v) => v === second.name) : undefined;
  return {
    severity: 'error',
    file: profile?.file ?? file,
    ...(profile && field ? profile.source.locate(field) : { line: 1, col: 1 }),
    path: field ? formatPath(field) : '',
    message: `two objects would be written to dist/${file}: ${first.source} and ${second.source}; give one of them another name`,
  };
}

function manifestFile(kind: string, name: string): string {
  return `${kind}.${name}`.replace(/[^0-9a-zA-Z-_.]/g, '') + MANIFEST_EXTENSION;
}

/** Objects of one chart in file-name order, each with its YAML file as cdk8s would write it. */
function renderChart(chart: Chart): RenderedChart {
  const folder = chart.node.id;
  const rendered = apiObjectsOf(chart).map((o) => {
    const json = o.toJson();
    const file = manifestFile(o.kind, o.name);
    const hook = json.metadata?.annotations?.[HOOK_ANNOTATION];
    const object: RenderedObject = {
      kind: o.kind,
      name: o.name,
      namespace: json.metadata?.namespace,
      file,
      hook,
      phase: hook ? undefined : (phaseOf(o) ?? defaultPhase(o.kind)),
      ...(ownershipOf(o) === 'patch' ? { partial: true } : {}),
    };
    return { object, apiObject: o, file: `${folder}/${file}`, text: yamlOf(json) };
  });
  rendered.sort((a, b) => (a.object.file < b.object.file ? -1 : a.object.file > b.object.file ? 1 : 0));
  return { objects: rendered.map((r) => r.object), files: rendered.map((r) => [r.file, r.text, r.apiObject]) };
}

/**
 * YAML of an object exactly as cdk8s writes it, remembered by its JSON: a fleet repeats most of its
 * objects (Typha's Service, RBAC, CRDs), and turning JSON into YAML was a third of a fleet's synth.
 * The JSON is a faithful key: cdk8s's toJson drops null and undefined fields, and Kubernetes
 * objects hold no NaN or Infinity. Bounded, so a fleet of distinct objects cannot grow it forever.
 */
const yamlByJson = new Map<string, string>();
const YAML_MEMO_LIMIT = 4096;

function yamlOf(json: unknown): string {
  const key = JSON.stringify(json);
  let text = yamlByJson.get(key);
  if (text === undefined) {
    text = Yaml.stringify(json);
    if (yamlByJson.size >= YAML_MEMO_LIMIT) yamlByJson.clear();
    yamlByJson.set(key, text);
  }
  return text;
}

function apiObjectsOf(scope: IConstruct): ApiObject[] {
  return scope.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject);
}

/** What `App.synth` does first: every construct's own validations, all reported at once. */
function validateConstructs(app: App): void {
  const errors = app.node.findAll().flatMap((c) => c.node.validate().map((message) => `${c.node.path}: ${message}`));
  if (errors.length > 0) throw new Error(`validation failed:\n${errors.join('\n')}`);
}

/**
 * Every credential the rendered files would carry, naming the profile field it came from when one
 * holds it, and showing the credential redacted only. `ownerOf` gives a file's own profile; a file
 * without one is traced to the first of `profiles` that holds the credential.
 */
function secretProblems(
  files: ReadonlyMap<string, string>,
  ownerOf: (file: string) => LoadedProfile | undefined,
  profiles: Iterable<LoadedProfile>,
): Diagnostic[] {
  return findSecretsInTree(files).map((leak) => secretDiagnostic(leak, files.get(leak.file)!, ownerOf(leak.file), profiles));
}

function secretDiagnostic(leak: SecretFinding, text: string, owner: LoadedProfile | undefined, profiles: Iterable<LoadedProfile>): Diagnostic {
  const raw = text.slice(leak.index, leak.index + leak.length);
  const firstLine = raw.split('\n')[0].trim();
  const holds = (v: string) => v.includes(raw) || (firstLine !== '' && v.includes(firstLine));
  let profile = owner;
  if (!profile) {
    for (const p of profiles) {
      if (fieldHolding(p.profile, holds) === undefined) continue;
      profile = p;
      break;
    }
  }
  const field = profile ? fieldHolding(profile.profile, holds) : undefined;
  return {
    severity: 'error',
    file: profile?.file ?? leak.file,
    ...(profile && field ? profile.source.locate(field) : { line: 1, col: 1 }),
    path: field ? formatPath(field) : '',
    message:
      `would write ${leak.what} (${leak.shown}) into dist/${leak.file}:${leak.line}: dist/ is committed, so credentials stay in the ` +
      `cluster (a Secret made there, credential_path for Terway)`,
  };
}

/**
 * The same guard over the fleet-wide files. Their text comes from the clusters' facts (the root's
 * source, the staged Applications, the index rows), so a credential is traced to the profile of a
 * cluster whose part holds a word of it; profiles are loaded for that only.
 */
function refuseFleetSecrets(
  files: ReadonlyArray<readonly [string, string]>,
  partsOf: () => ReadonlyMap<string, readonly unknown[]>,
  profileOf?: (cluster: string) => LoadedProfile | undefined,
): void {
  const tree = new Map(files);
  const leaks = findSecretsInTree(tree);
  if (leaks.length === 0) return;
  const clusters = partsOf();
  throw new ProfileError(
    leaks.map((leak) => {
      const raw = tree.get(leak.file)!.slice(leak.index, leak.index + leak.length);
      const words = raw.match(/[A-Za-z0-9+/=_.:@-]{4,}/g) ?? [];
      const suspects = [...clusters].filter(([, parts]) => {
        const json = JSON.stringify(parts);
        return words.some((w) => json.includes(w));
      });
      function* profiles(): Generator<LoadedProfile> {
        for (const [name] of suspects) {
          const p = profileOf?.(name);
          if (p) yield p;
        }
      }
      return secretDiagnostic(leak, tree.get(leak.file)!, undefined, profiles());
    }),
  );
}

/** The path of the first string (key or value) of a profile that `matches`, depth first, in file order. */
function fieldHolding(profile: unknown, matches: (value: string) => boolean): FieldPath | undefined {
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value: profile, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    const key = path[path.length - 1];
    if ((typeof key === 'string' && matches(key)) || (typeof value === 'string' && matches(value))) return path;
    if (value === null || typeof value !== 'object') continue;
    const entries: Array<[string | number, unknown]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value as object);
    for (let i = entries.length - 1; i >= 0; i--) stack.push({ value: entries[i][1], path: [...path, entries[i][0]] });
  }
  return undefined;
}
