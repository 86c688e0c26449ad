/**
 * dist/argocd/: one Application per cluster syncing its folder, the Cilium Applications, and the
 * fleet's root Application syncing dist/argocd/ itself, so one `kubectl apply` bootstraps all.
 * Clusters with a rollout stage get no Application of their own: the fleet's ApplicationSets
 * generate the same Applications and sync them one stage after another.
 *
 * A cluster's Applications depend only on its own profile (the fleet rules make every profile
 * agree on the source), so each cluster renders on its own: its unstaged Applications as files,
 * its staged ones as plain data (`StagedApplication`) that the fleet's ApplicationSets are built
 * from, whether the cluster was rendered in this run or kept from an earlier one.
 */
import { ApiObject, App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { ClusterChart } from '../../cluster/cluster-chart';
import { ResolvedArgocd, ResolvedCluster } from '../../cluster/resolve';
import { controllerOwnedFieldsOf } from '../../core/rollout';
import { CiliumApplication } from '../../components/cilium/cilium-application';
import { ciliumApplicationName } from '../../components/cilium/facts';
import { ARGOCD_FOLDER, DirectoryApplication, FLEET_APPLICATION } from './directory-application';
import { ApplicationTemplate, RolloutStep, StagedApplicationSet } from './staged-application-set';

/** The ApplicationSet of the staged clusters' folders. */
export const CLUSTER_STAGES = 'netscale-stages';
/** The ApplicationSet of the staged clusters' Cilium charts. */
export const CILIUM_STAGES = 'netscale-cilium-stages';

export { ciliumApplicationName };

export function argocdChart(scope: Construct, clusters: readonly ClusterChart[]): Chart | undefined {
  const managed = clusters.filter((p) => p.cluster.argocd);
  if (managed.length === 0) return undefined;
  const chart = new Chart(scope, ARGOCD_FOLDER, { disableResourceNameHashes: true });
  // Every profile agrees on these (checked when loading); the first names the root's source.
  const root = managed[0].cluster.argocd!;
  fleetApplication(chart, root);
  const staged = managed.flatMap((clusterChart) => clusterApplications(chart, clusterChart));
  stagedApplicationSets(chart, root.namespace, staged);
  return chart;
}

/** The root Application `netscale-fleet`, syncing dist/argocd/ with the source of `root` (the first Argo CD cluster's). */
export function fleetApplication(chart: Chart, root: ResolvedArgocd): void {
  new DirectoryApplication(chart, FLEET_APPLICATION, {
    ...rootSource(root),
    name: FLEET_APPLICATION,
    path: `${root.path}/${ARGOCD_FOLDER}`,
    destinationNamespace: root.namespace,
  });
}

function rootSource(a: ResolvedArgocd): { repoURL: string; targetRevision: string; namespace: string; project: string } {
  return { repoURL: a.repoURL, targetRevision: a.targetRevision, namespace: a.namespace, project: a.project };
}

/**
 * A cluster's Applications: an unstaged cluster's go into `chart` (dist/argocd/); a staged
 * cluster's are built aside, the same way, and returned as the plain data the fleet's
 * ApplicationSets generate them from.
 */
export function clusterApplications(chart: Chart, clusterChart: ClusterChart): StagedApplication[] {
  const c = clusterChart.cluster;
  const a = c.argocd;
  if (!a) return [];
  const source = rootSource(a);
  const held = a.stage === undefined ? undefined : new Chart(new App(), 'staged', { disableResourceNameHashes: true });
  const target = held ?? chart;
  let folder: DirectoryApplication | undefined;
  let cilium: CiliumApplication | undefined;
  // A cluster whose only change is the Cilium chart has no folder to sync.
  if (hasFolder(clusterChart)) {
    folder = new DirectoryApplication(target, c.name, {
      ...source,
      project: a.project,
      name: c.name,
      path: `${a.path}/${c.name}`,
      destination: a.destination,
      ignoreDifferences: controllerOwnedFields(clusterChart),
    });
  }
  if (c.cilium?.delivery === 'argocd') {
    cilium = new CiliumApplication(target, ciliumApplicationName(c.name), {
      name: ciliumApplicationName(c.name),
      namespace: a.namespace,
      project: a.project,
      destinationServer: a.destination.server,
      destinationName: a.destination.name,
      version: c.cilium.version,
      values: c.cilium.values,
      automated: true,
    });
  }
  return a.stage === undefined ? [] : stagedApplications(c.name, a.stage, a.maxUpdate, folder, cilium);
}

function hasFolder(clusterChart: ClusterChart): boolean {
  return clusterChart.node.findAll().some((o) => o instanceof ApiObject);
}

/** The Argo CD objects in dist/argocd/ that deliver a cluster, by kind and name; `folder`: its folder holds objects. */
export function argocdObjectsOf(c: ResolvedCluster, folder: boolean): Array<{ readonly kind: string; readonly name: string }> {
  if (!c.argocd) return [];
  const cilium = c.cilium?.delivery === 'argocd';
  if (c.argocd.stage !== undefined) {
    return [
      ...(folder ? [{ kind: 'ApplicationSet', name: CLUSTER_STAGES }] : []),
      ...(cilium ? [{ kind: 'ApplicationSet', name: CILIUM_STAGES }] : []),
    ];
  }
  return [
    ...(folder ? [{ kind: 'Application', name: c.name }] : []),
    ...(cilium ? [{ kind: 'Application', name: ciliumApplicationName(c.name) }] : []),
  ];
}

/**
 * A staged cluster's Application, built aside, and the element that generates it again: plain
 * JSON, so a cluster kept from an earlier run still takes its place in the ApplicationSet.
 */
export interface StagedApplication {
  /** The ApplicationSet that generates it. */
  readonly set: typeof CLUSTER_STAGES | typeof CILIUM_STAGES;
  readonly stage: number;
  readonly maxUpdate?: number | string;
  readonly application: KubernetesJson;
  readonly element: { readonly stage: number } & Record<string, unknown>;
}

type KubernetesJson = { metadata: { name: string; labels?: Record<string, string> }; spec: Record<string, unknown> };

/**
 * What varies between clusters: strings the template writes with `{{.parameter}}`, and objects
 * the element carries whole. Everything else must be the same for every cluster.
 */
interface TemplateParameters {
  readonly strings: Readonly<Record<string, string>>;
  readonly objects: Readonly<Record<string, string>>;
}

/** The Applications a staged cluster would get on its own, with the elements that generate them. */
function stagedApplications(
  cluster: string,
  stage: number,
  maxUpdate: number | string | undefined,
  folder?: DirectoryApplication,
  cilium?: CiliumApplication,
): StagedApplication[] {
  const out: StagedApplication[] = [];
  if (folder) {
    const app = folder.application.toJson() as KubernetesJson;
    const source = app.spec.source as { path: string };
    const syncPolicy = app.spec.syncPolicy as { syncOptions: string[] };
    out.push({
      set: CLUSTER_STAGES,
      stage,
      maxUpdate,
      application: app,
      // Fields a controller owns (Typha's replicas under its autoscaler) differ by cluster, and with them the sync options.
      element: {
        cluster,
        stage,
        project: app.spec.project,
        path: source.path,
        destination: app.spec.destination,
        ignoreDifferences: app.spec.ignoreDifferences ?? [],
        syncOptions: syncPolicy.syncOptions,
      },
    });
  }
  if (cilium) {
    const app = cilium.application.toJson() as KubernetesJson;
    const source = app.spec.source as { targetRevision: string; helm: { valuesObject: unknown } };
    out.push({
      set: CILIUM_STAGES,
      stage,
      maxUpdate,
      application: app,
      // The certificates the chart regenerates depend on the chart version and the values.
      element: {
        cluster,
        stage,
        project: app.spec.project,
        version: source.targetRevision,
        destination: app.spec.destination,
        helmValues: source.helm.valuesObject,
        ignoreDifferences: app.spec.ignoreDifferences ?? [],
      },
    });
  }
  return out;
}

/** The fleet's ApplicationSets, from every staged cluster's Applications; `namespace` is Argo CD's (every profile agrees). */
export function stagedApplicationSets(chart: Chart, namespace: string, staged: readonly StagedApplication[]): void {
  const folders = staged.filter((h) => h.set === CLUSTER_STAGES);
  const ciliums = staged.filter((h) => h.set === CILIUM_STAGES);
  if (folders.length > 0) {
    stagedApplicationSet(chart, CLUSTER_STAGES, namespace, folders, {
      strings: { 'metadata.name': '{{.cluster}}', 'spec.project': '{{.project}}', 'spec.source.path': '{{.path}}' },
      objects: { 'spec.destination': 'destination', 'spec.ignoreDifferences': 'ignoreDifferences', 'spec.syncPolicy.syncOptions': 'syncOptions' },
    });
  }
  if (ciliums.length > 0) {
    stagedApplicationSet(chart, CILIUM_STAGES, namespace, ciliums, {
      strings: {
        'metadata.name': ciliumApplicationName('{{.cluster}}'),
        'spec.project': '{{.project}}',
        'spec.source.targetRevision': '{{.version}}',
      },
      objects: { 'spec.destination': 'destination', 'spec.source.helm.valuesObject': 'helmValues', 'spec.ignoreDifferences': 'ignoreDifferences' },
    });
  }
}

function stagedApplicationSet(
  chart: Chart,
  name: string,
  namespace: string,
  held: readonly StagedApplication[],
  parameters: TemplateParameters,
): void {
  const sorted = [...held].sort((x, y) => x.stage - y.stage || (x.application.metadata.name < y.application.metadata.name ? -1 : 1));
  const steps: RolloutStep[] = [];
  for (const h of sorted) if (steps[steps.length - 1]?.stage !== h.stage) steps.push({ stage: h.stage, maxUpdate: h.maxUpdate });
  new StagedApplicationSet(chart, name, {
    name,
    namespace,
    template: applicationTemplate(name, sorted, parameters),
    objectParameters: parameters.objects,
    elements: sorted.map((h) => h.element),
    steps,
  });
}

/**
 * The first Application with its per-cluster fields as parameters; every other Application must
 * come back exactly from the template and its element, or the ApplicationSet would deliver
 * something else than the Application the cluster would get on its own.
 */
function applicationTemplate(name: string, held: readonly StagedApplication[], parameters: TemplateParameters): ApplicationTemplate {
  const first = held[0].application;
  const template = JSON.parse(
    JSON.stringify({ metadata: { name: first.metadata.name, labels: first.metadata.labels }, spec: first.spec }),
  ) as KubernetesJson;
  for (const [path, text] of Object.entries(parameters.strings)) setPath(template, path, text);
  for (const h of held) {
    const expected = { metadata: { name: h.application.metadata.name, labels: h.application.metadata.labels }, spec: h.application.spec };
    const generated = renderTemplate(template, parameters, h.element);
    if (canonicalJson(generated) !== canonicalJson(expected)) {
      throw new Error(
        `ApplicationSet ${name}: its template does not give back the Application ${h.application.metadata.name}: a field other ` +
          `than ${[...Object.keys(parameters.strings), ...Object.keys(parameters.objects)].join(', ')} differs between clusters`,
      );
    }
  }
  return template;
}

/** The template with an element's parameters in, as Argo CD renders it (`{{.name}}` strings, object parameters set whole). */
function renderTemplate(template: KubernetesJson, parameters: TemplateParameters, element: Record<string, unknown>): KubernetesJson {
  const fill = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replace(/\{\{\.([A-Za-z_][A-Za-z0-9_]*)\}\}/g, (_, p: string) => String(element[p]));
    if (Array.isArray(v)) return v.map(fill);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]));
    return v;
  };
  const out = fill(template) as KubernetesJson;
  for (const [path, parameter] of Object.entries(parameters.objects)) setPath(out, path, element[parameter]);
  // An empty ignoreDifferences ignores nothing, as an Application without the field does.
  if (Array.isArray(out.spec.ignoreDifferences) && out.spec.ignoreDifferences.length === 0) delete out.spec.ignoreDifferences;
  return out;
}

/** JSON with sorted keys: equal text, equal value. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function setPath(root: object, path: string, value: unknown): void {
  const keys = path.split('.');
  let at = root as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  at[keys[keys.length - 1]] = value;
}

/** The fields controllers in the cluster own, per object, as the Application's ignoreDifferences. */
function controllerOwnedFields(chart: ClusterChart) {
  return chart.node
    .findAll()
    .filter((o): o is ApiObject => o instanceof ApiObject && controllerOwnedFieldsOf(o).length > 0)
    .map((o) => ({
      group: o.apiGroup === 'core' ? '' : o.apiGroup,
      kind: o.kind,
      name: o.name,
      namespace: o.metadata.namespace,
      jsonPointers: [...controllerOwnedFieldsOf(o)],
    }));
}
