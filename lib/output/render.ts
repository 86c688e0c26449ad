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
import { ciliumValuesYaml } from '../components/cilium/values';
import { deliverWithArgocd } from '../delivery/argocd/deliver';
import { ARGOCD_FOLDER } from '../delivery/argocd/directory-application';
import { argocdChart, ciliumApplicationName } from '../delivery/argocd/fleet-chart';
import { HOOK_ANNOTATION } from '../delivery/argocd/sync-waves';
import { ProfileError } from '../profile/diagnostics';
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
  readonly files: Array<[string, string]>;
}

export function ciliumValuesFile(cluster: string): string {
  return `${VALUES_DIR}/${cluster}.cilium-values.yaml`;
}

export function reviewFile(cluster: string): string {
  return `${REVIEWS_DIR}/${cluster}.md`;
}

/** Every file of dist/ for these profiles; throws `ProfileError` if any would carry a credential. */
export function renderTree(profiles: readonly LoadedProfile[], options: RenderOptions = {}): OutputTree {
  const app = new App();
  const charts = profiles.map((loaded) => ({ loaded, chart: new ClusterChart(app, { cluster: loaded.cluster }) }));
  for (const { chart } of charts) deliverWithArgocd(chart);
  const argocd = argocdChart(app, charts.map((c) => c.chart));
  validateConstructs(app);

  const tree: OutputTree = new Map();
  const applications = new Map<string, RenderedObject>();
  if (argocd) {
    const rendered = renderChart(argocd);
    for (const [file, text] of rendered.files) tree.set(file, text);
    for (const o of rendered.objects) applications.set(o.name, o);
  }
  for (const { loaded, chart } of charts) {
    const c = loaded.cluster;
    const rendered = renderChart(chart);
    for (const [file, text] of rendered.files) tree.set(file, text);
    const valuesFiles: string[] = [];
    if (c.cilium) {
      tree.set(ciliumValuesFile(c.name), ciliumValuesYaml(c.cilium.values));
      valuesFiles.push(ciliumValuesFile(c.name));
    }
    const apps = [applications.get(c.name), applications.get(ciliumApplicationName(c.name))].filter((o): o is RenderedObject => o !== undefined);
    tree.set(reviewFile(c.name), renderReview({ cluster: c, profileFile: loaded.file, warnings: loaded.warnings, objects: rendered.objects, applications: apps, valuesFiles }));
  }
  if (options.fleetIndex ?? true) tree.set(FLEET_INDEX, renderFleetIndex(profiles.map((p) => ({ cluster: p.cluster, warnings: p.warnings.length }))));
  refuseSecrets(tree, profiles);
  return tree;
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
    return { object, file: `${folder}/${file}`, text: Yaml.stringify(json) };
  });
  rendered.sort((a, b) => (a.object.file < b.object.file ? -1 : a.object.file > b.object.file ? 1 : 0));
  return { objects: rendered.map((r) => r.object), files: rendered.map((r) => [r.file, r.text]) };
}

function apiObjectsOf(scope: IConstruct): ApiObject[] {
  return scope.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject);
}

/** What `App.synth` does first: every construct's own validations, all reported at once. */
function validateConstructs(app: App): void {
  const errors = app.node.findAll().flatMap((c) => c.node.validate().map((message) => `${c.node.path}: ${message}`));
  if (errors.length > 0) throw new Error(`validation failed:\n${errors.join('\n')}`);
}

/** Fail the synth, naming the profile responsible, if any rendered file carries a credential. */
function refuseSecrets(tree: OutputTree, profiles: readonly LoadedProfile[]): void {
  const leaks = findSecretsInTree(tree);
  if (leaks.length === 0) return;
  const byName = new Map(profiles.map((p) => [p.cluster.name, p]));
  const owner = (file: string): LoadedProfile | undefined => {
    const [top, rest] = file.split('/');
    if (top === VALUES_DIR) return byName.get(rest.replace(/\.cilium-values\.yaml$/, ''));
    if (top === ARGOCD_FOLDER) return profiles.find((p) => rest.startsWith(`Application.${p.cluster.name}.`) || rest.startsWith(`Application.${ciliumApplicationName(p.cluster.name)}.`));
    return byName.get(top);
  };
  throw new ProfileError(
    leaks.map((leak) => ({
      severity: 'error' as const,
      file: owner(leak.file)?.file ?? leak.file,
      line: 1,
      col: 1,
      path: '',
      message: `would write ${leak.what} into dist/${leak.file}: dist/ is committed, so credentials stay in the cluster (a Secret made there, credential_path for Terway)`,
    })),
  );
}
