/**
 * dist/argocd/: one Application per cluster syncing its folder, the Cilium Applications, and the
 * fleet's root Application syncing dist/argocd/ itself, so one `kubectl apply` bootstraps all.
 * Clusters with a rollout stage get no Application of their own: the fleet's ApplicationSets
 * generate the same Applications and sync them one stage after another.
 */
import { ApiObject, App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { ClusterChart } from '../../cluster/cluster-chart';
import { ResolvedCluster } from '../../cluster/resolve';
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
  const source = { repoURL: root.repoURL, targetRevision: root.targetRevision, namespace: root.namespace, project: root.project };
  new DirectoryApplication(chart, FLEET_APPLICATION, { ...source, name: FLEET_APPLICATION, path: `${root.path}/${ARGOCD_FOLDER}`, destinationNamespace: root.namespace });
  // Staged clusters' Applications are built the same way, aside, and become the ApplicationSets' elements.
  const held = new Chart(new App(), 'staged', { disableResourceNameHashes: true });
  for (const clusterChart of managed) {
    const c = clusterChart.cluster;
    const a = c.argocd!;
    const target = a.stage === undefined ? chart : held;
    // A cluster whose only change is the Cilium chart has no folder to sync.
    if (hasFolder(clusterChart)) {
      new DirectoryApplication(target, c.name, {
        ...source,
        project: a.project,
        name: c.name,
        path: `${a.path}/${c.name}`,
        destination: a.destination,
        ignoreDifferences: controllerOwnedFields(clusterChart),
      });
    }
    if (c.cilium?.delivery === 'argocd') {
      new CiliumApplication(target, ciliumApplicationName(c.name), {
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
  }
  stagedApplicationSets(chart, held, managed);
  return chart;
}

function hasFolder(clusterChart: ClusterChart): boolean {
  return clusterChart.node.findAll().some((o) => o instanceof ApiObject);
}

/** The Argo CD objects in dist/argocd/ that deliver a cluster, by kind and name; `folder`: its folder holds objects. */
export function argocdObjectsOf(c: ResolvedCluster, folder: boolean): Array<{ readonly kind: string; readonly name: string }> {
  if (!c.argocd) return [];
  const cilium = c.cilium?.delivery === 'argocd';
  if (c.argocd.stage !== undefined) {
    return [...(folder ? [{ kind: 'ApplicationSet', name: CLUSTER_STAGES }] : []), ...(cilium ? [{ kind: 'ApplicationSet', name: CILIUM_STAGES }] : [])];
  }
  return [...(folder ? [{ kind: 'Application', name: c.name }] : []), ...(cilium ? [{ kind: 'Application', name: ciliumApplicationName(c.name) }] : [])];
}

/** A staged cluster's Application, built aside, and the element that generates it again. */
interface HeldApplication {
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

function stagedApplicationSets(chart: Chart, held: Construct, managed: readonly ClusterChart[]): void {
  const folders: HeldApplication[] = [];
  const ciliums: HeldApplication[] = [];
  for (const { cluster: c } of managed) {
    const a = c.argocd!;
    if (a.stage === undefined) continue;
    const folder = held.node.tryFindChild(c.name) as DirectoryApplication | undefined;
    if (folder) {
      const app = folder.application.toJson() as KubernetesJson;
      const source = app.spec.source as { path: string };
      const syncPolicy = app.spec.syncPolicy as { syncOptions: string[] };
      folders.push({
        stage: a.stage,
        maxUpdate: a.maxUpdate,
        application: app,
        // Fields a controller owns (Typha's replicas under its autoscaler) differ by cluster, and with them the sync options.
        element: {
          cluster: c.name,
          stage: a.stage,
          project: app.spec.project,
          path: source.path,
          destination: app.spec.destination,
          ignoreDifferences: app.spec.ignoreDifferences ?? [],
          syncOptions: syncPolicy.syncOptions,
        },
      });
    }
    const cilium = held.node.tryFindChild(ciliumApplicationName(c.name)) as CiliumApplication | undefined;
    if (cilium) {
      const app = cilium.application.toJson() as KubernetesJson;
      const source = app.spec.source as { targetRevision: string; helm: { valuesObject: unknown } };
      ciliums.push({
        stage: a.stage,
        maxUpdate: a.maxUpdate,
        application: app,
        // The certificates the chart regenerates depend on the chart version and the values.
        element: {
          cluster: c.name,
          stage: a.stage,
          project: app.spec.project,
          version: source.targetRevision,
          destination: app.spec.destination,
          helmValues: source.helm.valuesObject,
          ignoreDifferences: app.spec.ignoreDifferences ?? [],
        },
      });
    }
  }
  const namespace = managed[0].cluster.argocd!.namespace;
  if (folders.length > 0) {
    stagedApplicationSet(chart, CLUSTER_STAGES, namespace, folders, {
      strings: { 'metadata.name': '{{.cluster}}', 'spec.project': '{{.project}}', 'spec.source.path': '{{.path}}' },
      objects: { 'spec.destination': 'destination', 'spec.ignoreDifferences': 'ignoreDifferences', 'spec.syncPolicy.syncOptions': 'syncOptions' },
    });
  }
  if (ciliums.length > 0) {
    stagedApplicationSet(chart, CILIUM_STAGES, namespace, ciliums, {
      strings: { 'metadata.name': ciliumApplicationName('{{.cluster}}'), 'spec.project': '{{.project}}', 'spec.source.targetRevision': '{{.version}}' },
      objects: { 'spec.destination': 'destination', 'spec.source.helm.valuesObject': 'helmValues', 'spec.ignoreDifferences': 'ignoreDifferences' },
    });
  }
}

function stagedApplicationSet(chart: Chart, name: string, namespace: string, held: readonly HeldApplication[], parameters: TemplateParameters): void {
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
function applicationTemplate(name: string, held: readonly HeldApplication[], parameters: TemplateParameters): ApplicationTemplate {
  const first = held[0].application;
  const template = JSON.parse(JSON.stringify({ metadata: { name: first.metadata.name, labels: first.metadata.labels }, spec: first.spec })) as KubernetesJson;
  for (const [path, text] of Object.entries(parameters.strings)) setPath(template, path, text);
  for (const h of held) {
    const expected = { metadata: { name: h.application.metadata.name, labels: h.application.metadata.labels }, spec: h.application.spec };
    const generated = renderTemplate(template, parameters, h.element);
    if (canonicalJson(generated) !== canonicalJson(expected)) {
      throw new Error(`ApplicationSet ${name}: its template does not give back the Application ${h.application.metadata.name}: a field other than ${[...Object.keys(parameters.strings), ...Object.keys(parameters.objects)].join(', ')} differs between clusters`);
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
  return JSON.stringify(value, (_, v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));
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
    .map((o) => ({ group: o.apiGroup === 'core' ? '' : o.apiGroup, kind: o.kind, name: o.name, namespace: o.metadata.namespace, jsonPointers: [...controllerOwnedFieldsOf(o)] }));
}
