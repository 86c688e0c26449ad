/**
 * A fleet of profiles to dist/: load and check every profile, synthesize into a staging folder
 * beside dist/, then swap it in. Any problem leaves dist/ exactly as it was.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, Chart, YamlOutputType } from 'cdk8s';
import { Construct } from 'constructs';
import { ARGOCD_FOLDER, DirectoryApplication, FLEET_APPLICATION } from './argocd-application';
import { CiliumApplication } from './cilium-kube-proxyless';
import { ciliumValuesYaml } from './cilium-values';
import { ClusterChart } from './cluster-chart';
import { Diagnostic, ProfileError } from './profile/diagnostics';
import { LoadedProfile, loadProfiles } from './profile/load';
import { RenderedObject, renderReview } from './review';

export const REVIEWS_DIR = 'reviews';
/** Helm values files for `helm install -f`: not Kubernetes objects, so outside every synced folder. */
export const VALUES_DIR = 'values';
export const MANIFEST_EXTENSION = '.k8s.yaml';

export interface FleetOptions {
  /** Folder of ClusterProfile files. */
  readonly clustersDir: string;
  /** Output folder, replaced as a whole on success. */
  readonly outdir: string;
}

export interface FleetResult {
  readonly clusters: readonly string[];
  readonly warnings: readonly Diagnostic[];
}

/** Load, check and synthesize every profile; throws `ProfileError` listing every problem. */
export function synthesizeFleet(options: FleetOptions): FleetResult {
  const loaded = loadProfiles(options.clustersDir);
  if (loaded.diagnostics.some((d) => d.severity === 'error')) throw new ProfileError(loaded.diagnostics);
  const outdir = path.resolve(options.outdir);
  const staging = stagingPath(outdir, 'staging');
  try {
    renderFleet(loaded.profiles, staging);
    swapIn(staging, outdir);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return { clusters: loaded.profiles.map((p) => p.profile.metadata.name), warnings: loaded.diagnostics };
}

/** Write every cluster's objects and review into `dir`, which must not exist yet. */
export function renderFleet(profiles: readonly LoadedProfile[], dir: string): void {
  const app = new App({ outdir: dir, yamlOutputType: YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE, outputFileExtension: MANIFEST_EXTENSION });
  const charts = profiles.map((p) => ({ loaded: p, chart: new ClusterChart(app, { cluster: p.cluster }) }));
  const argocd = argocdChart(app, charts.map((c) => c.chart));
  app.synth();
  fs.mkdirSync(path.join(dir, REVIEWS_DIR), { recursive: true });
  for (const { loaded, chart } of charts) {
    const c = loaded.cluster;
    const applications = argocd ? renderedObjects(argocd).filter((o) => o.name === c.name || o.name === ciliumApplicationName(c.name)) : [];
    const valuesFiles: string[] = [];
    if (c.cilium) {
      const file = `${VALUES_DIR}/${c.name}.cilium-values.yaml`;
      fs.mkdirSync(path.join(dir, VALUES_DIR), { recursive: true });
      fs.writeFileSync(path.join(dir, file), ciliumValuesYaml(c.cilium.values));
      valuesFiles.push(file);
    }
    const review = renderReview({ cluster: c, profileFile: loaded.file, warnings: loaded.warnings, objects: renderedObjects(chart), applications, valuesFiles });
    fs.writeFileSync(path.join(dir, REVIEWS_DIR, `${c.name}.md`), review);
  }
}

export function ciliumApplicationName(cluster: string): string {
  return `${cluster}-cilium`;
}

/**
 * dist/argocd/: one Application per cluster syncing its folder, the Cilium Applications, and the
 * fleet's root Application syncing dist/argocd/ itself, so one `kubectl apply` bootstraps all.
 */
function argocdChart(scope: Construct, clusters: readonly ClusterChart[]): Chart | undefined {
  const managed = clusters.filter((p) => p.cluster.argocd);
  if (managed.length === 0) return undefined;
  const chart = new Chart(scope, ARGOCD_FOLDER, { disableResourceNameHashes: true });
  // Every profile agrees on these (checked when loading); the first names the root's source.
  const root = managed[0].cluster.argocd!;
  const source = { repoURL: root.repoURL, targetRevision: root.targetRevision, namespace: root.namespace, project: root.project };
  new DirectoryApplication(chart, FLEET_APPLICATION, { ...source, name: FLEET_APPLICATION, path: `${root.path}/${ARGOCD_FOLDER}`, destinationNamespace: root.namespace });
  for (const clusterChart of managed) {
    const c = clusterChart.cluster;
    const a = c.argocd!;
    // A cluster whose only change is the Cilium chart has no folder to sync.
    if (renderedObjects(clusterChart).length > 0) {
      new DirectoryApplication(chart, c.name, { ...source, project: a.project, name: c.name, path: `${a.path}/${c.name}`, destination: a.destination });
    }
    if (c.cilium?.delivery === 'argocd') {
      new CiliumApplication(chart, ciliumApplicationName(c.name), {
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
  return chart;
}

/** The objects of a chart with the file cdk8s writes each to (`<Kind>.<name>.k8s.yaml`). */
export function renderedObjects(chart: Chart): RenderedObject[] {
  return chart.node
    .findAll()
    .filter((c): c is ApiObject => c instanceof ApiObject)
    .map((o) => ({
      kind: o.kind,
      name: o.name,
      namespace: o.metadata.namespace,
      file: `${o.kind}.${o.name}`.replace(/[^0-9a-zA-Z-_.]/g, '') + MANIFEST_EXTENSION,
      hook: o.metadata.toJson().annotations?.['argocd.argoproj.io/hook'],
    }))
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/** A sibling of `outdir` (same file system, so renames are atomic) unique to this process. */
function stagingPath(outdir: string, purpose: string): string {
  return path.join(path.dirname(outdir), `.${path.basename(outdir)}-${purpose}-${process.pid}`);
}

/** Replace `outdir` by `staging` with two renames; the old tree is removed only after. */
function swapIn(staging: string, outdir: string): void {
  const old = stagingPath(outdir, 'old');
  fs.rmSync(old, { recursive: true, force: true });
  const hadOutdir = fs.existsSync(outdir);
  if (hadOutdir) fs.renameSync(outdir, old);
  try {
    fs.renameSync(staging, outdir);
  } catch (e) {
    if (hadOutdir) fs.renameSync(old, outdir);
    throw e;
  }
  fs.rmSync(old, { recursive: true, force: true });
}
