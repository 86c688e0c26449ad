/**
 * Loaded profiles to the files of dist/, in memory: each cluster's objects (one per file, named
 * `<Kind>.<name>.k8s.yaml` as cdk8s names them), dist/argocd/, the Helm values files, the reviews
 * and the fleet index. Nothing here touches the disk.
 */
import { ApiObject, App, Chart, Yaml } from 'cdk8s';
import { IConstruct } from 'constructs';
import { ClusterChart } from '../cluster/cluster-chart';
import { LoadedProfile } from '../cluster/load';
import { defaultPhase, ownershipOf, phaseOf, RenderedObject } from '../core/rollout';
import { ciliumValuesPath } from '../components/cilium/facts';
import { ciliumValuesYaml } from '../components/cilium/values';
import { deliverWithArgocd } from '../delivery/argocd/deliver';
import { argocdChart, argocdObjectsOf, ciliumApplicationName } from '../delivery/argocd/fleet-chart';
import { HOOK_ANNOTATION } from '../delivery/argocd/sync-waves';
import { FieldPath, formatPath } from '../core/findings';
import { Diagnostic, ProfileError } from '../profile/diagnostics';
import { renderFleetIndex } from '../review/fleet-index';
import { renderReview } from '../review/review';
import { OutputTree } from './output-tree';
import { findSecretsInTree } from './secret-guard';

export const REVIEWS_DIR = 'reviews';
/** Helm values files for `helm install -f`: not Kubernetes objects, so outside every synced folder. */
export const VALUES_DIR = 'values';
export const MANIFEST_EXTENSION = '.k8s.yaml';
export const FLEET_INDEX = `${REVIEWS_DIR}/README.md`;

export interface RenderOptions {
  /** Render the review index, which spans the fleet. */
  readonly fleetIndex?: boolean;
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
  const app = new App();
  const charts = profiles.map((loaded) => ({ loaded, chart: new ClusterChart(app, { cluster: loaded.cluster }) }));
  for (const { chart } of charts) deliverWithArgocd(chart);
  const argocd = argocdChart(app, charts.map((c) => c.chart));
  validateConstructs(app);

  const tree: OutputTree = new Map();
  const claims = new Map<string, Claim>();
  const clashes: Diagnostic[] = [];
  const claim = (file: string, text: string, by: Claim) => {
    const first = claims.get(file);
    if (first) clashes.push(clash(file, first, by));
    else claims.set(file, by);
    tree.set(file, text);
  };
  const byName = new Map(profiles.map((p) => [p.cluster.name, p]));
  const applications = new Map<string, RenderedObject>();
  if (argocd) {
    const rendered = renderChart(argocd);
    for (const [file, text, o] of rendered.files) claim(file, text, { source: describe(o), profile: byName.get(o.name) ?? profiles.find((p) => o.name === ciliumApplicationName(p.cluster.name)), name: o.name });
    for (const o of rendered.objects) applications.set(`${o.kind}/${o.name}`, o);
  }
  for (const { loaded, chart } of charts) {
    const c = loaded.cluster;
    const rendered = renderChart(chart);
    for (const [file, text, o] of rendered.files) claim(file, text, { source: describe(o), profile: loaded, name: o.name });
    const valuesFiles: string[] = [];
    if (c.cilium) {
      claim(ciliumValuesFile(c.name), ciliumValuesYaml(c.cilium.values), { source: `the Cilium Helm values of ${c.name}`, profile: loaded });
      valuesFiles.push(ciliumValuesFile(c.name));
    }
    const apps = argocdObjectsOf(c, rendered.objects.length > 0).map((o) => applications.get(`${o.kind}/${o.name}`)).filter((o): o is RenderedObject => o !== undefined);
    // The review records where the profile lives in the repository, whatever the working directory.
    const profileFile = loaded.repoFile ?? loaded.file;
    const warnings = loaded.warnings.map((w) => (w.file === loaded.file ? { ...w, file: profileFile } : w));
    claim(reviewFile(c.name), renderReview({ cluster: c, profileFile, warnings, objects: rendered.objects, applications: apps, valuesFiles }), { source: `the review of ${c.name}`, profile: loaded });
  }
  if (options.fleetIndex ?? true) claim(FLEET_INDEX, renderFleetIndex(profiles.map((p) => ({ cluster: p.cluster, warnings: p.warnings.length }))), { source: 'the fleet index' });
  if (clashes.length > 0) throw new ProfileError(clashes);
  refuseSecrets(tree, claims, profiles);
  return tree;
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
/** The review of one profile, rendered in memory (for `explain`). */
export function renderReviewOnly(loaded: LoadedProfile): string {
  const tree = renderTree([loaded], { fleetIndex: false });
  return tree.get(reviewFile(loaded.cluster.name))!;
}

/** Objects of one chart in file-name order, each with its YAML file as cdk8s would write it. */
function renderChart(chart: Chart): RenderedChart {
  const folder = chart.node.id;
  const rendered = apiObjectsOf(chart).map((o) => {
    const json = o.toJson();
    const file = `${o.kind}.${o.name}`.replace(/[^0-9a-zA-Z-_.]/g, '') + MANIFEST_EXTENSION;
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
    return { object, apiObject: o, file: `${folder}/${file}`, text: Yaml.stringify(json) };
  });
  rendered.sort((a, b) => (a.object.file < b.object.file ? -1 : a.object.file > b.object.file ? 1 : 0));
  return { objects: rendered.map((r) => r.object), files: rendered.map((r) => [r.file, r.text, r.apiObject]) };
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
 * Fail the synth if any rendered file carries a credential, naming the profile field it came from
 * when one holds it, and showing the credential redacted only.
 */
function refuseSecrets(tree: OutputTree, claims: ReadonlyMap<string, Claim>, profiles: readonly LoadedProfile[]): void {
  const leaks = findSecretsInTree(tree);
  if (leaks.length === 0) return;
  throw new ProfileError(
    leaks.map((leak) => {
      const raw = tree.get(leak.file)!.slice(leak.index, leak.index + leak.length);
      const firstLine = raw.split('\n')[0].trim();
      const holds = (v: string) => v.includes(raw) || (firstLine !== '' && v.includes(firstLine));
      // The file's own profile, or for a fleet-wide file (the root Application) the one that holds it.
      const owner = claims.get(leak.file)?.profile;
      const profile = owner ?? profiles.find((p) => fieldHolding(p.profile, holds) !== undefined);
      const field = profile ? fieldHolding(profile.profile, holds) : undefined;
      return {
        severity: 'error' as const,
        file: profile?.file ?? leak.file,
        ...(profile && field ? profile.source.locate(field) : { line: 1, col: 1 }),
        path: field ? formatPath(field) : '',
        message: `would write ${leak.what} (${leak.shown}) into dist/${leak.file}:${leak.line}: dist/ is committed, so credentials stay in the cluster (a Secret made there, credential_path for Terway)`,
      };
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
