/**
 * A fleet of profiles to dist/: load and check every profile, synthesize into a staging folder
 * beside dist/, then swap it in. Any problem leaves dist/ exactly as it was.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, YamlOutputType } from 'cdk8s';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { ARGOCD_FOLDER, DirectoryApplication, FLEET_APPLICATION } from './argocd-application';
import { CiliumApplication } from './cilium-kube-proxyless';
import { ciliumValuesYaml } from './cilium-values';
import { ClusterChart } from './cluster-chart';
import { Diagnostic, ProfileError } from './profile/diagnostics';
import { displayPath, listProfileFiles, LoadedProfile, loadProfiles, loadProfileText } from './profile/load';
import { renderFleetIndex, RenderedObject, renderReview } from './review';
import { findSecrets } from './secret-guard';

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

/** A synth rendered into a staging folder, not yet in place: commit swaps it in, discard drops it. */
export interface StagedSynth {
  readonly result: FleetResult;
  commit(): void;
  discard(): void;
}

/** Load, check and synthesize every profile; throws `ProfileError` listing every problem. */
export function synthesizeFleet(options: FleetOptions): FleetResult {
  return commitStaged(stageFleet(options));
}

/** The first half of `synthesizeFleet`: everything but the swap into dist/. */
export function stageFleet(options: FleetOptions): StagedSynth {
  const loaded = loadProfiles(options.clustersDir);
  if (loaded.diagnostics.some((d) => d.severity === 'error')) throw new ProfileError(loaded.diagnostics);
  const outdir = path.resolve(options.outdir);
  recoverInterruptedSwap(outdir);
  const staging = stagingPath(outdir, 'staging');
  return staged(staging, () => renderFleet(loaded.profiles, staging), () => swapIn(staging, outdir), {
    clusters: loaded.profiles.map((p) => p.profile.metadata.name),
    warnings: loaded.diagnostics,
  });
}

function commitStaged(s: StagedSynth): FleetResult {
  s.commit();
  return s.result;
}

/** Render into `staging` now; the staging folder is removed whatever happens next. */
function staged(staging: string, render: () => void, swap: () => void, result: FleetResult): StagedSynth {
  const discard = () => fs.rmSync(staging, { recursive: true, force: true });
  try {
    render();
  } catch (e) {
    discard();
    throw e;
  }
  return {
    result,
    discard,
    commit: () => {
      try {
        swap();
      } finally {
        discard();
      }
    },
  };
}

/**
 * Synthesize one cluster of the fleet, for fast iteration: only profiles whose text mentions the
 * name are parsed, and only that cluster's folder, review and values file are replaced. The
 * fleet-wide files (dist/argocd/, the review index) and the checks across profiles are left to a
 * full synth, which CI runs.
 */
export function synthesizeCluster(options: FleetOptions & { readonly cluster: string }): FleetResult {
  return commitStaged(stageCluster(options));
}

/** The first half of `synthesizeCluster`: everything but the swap into dist/. */
export function stageCluster(options: FleetOptions & { readonly cluster: string }): StagedSynth {
  const candidates: LoadedProfile[] = [];
  const diagnostics: Diagnostic[] = [];
  if (!fs.existsSync(options.clustersDir)) return stageFleet(options); // the full path reports the missing folder
  for (const abs of listProfileFiles(options.clustersDir)) {
    const text = fs.readFileSync(abs, 'utf8');
    if (!text.includes(options.cluster)) continue;
    const result = loadProfileText(displayPath(abs), text);
    if (result.profile?.profile.metadata.name === options.cluster) candidates.push(result.profile);
    // A broken file that mentions the name may be the cluster asked for: report it.
    else if (!result.profile) diagnostics.push(...result.diagnostics);
  }
  if (candidates.length === 1 && !diagnostics.some((d) => d.severity === 'error')) {
    diagnostics.push(...candidates[0].warnings);
  } else if (candidates.length > 1) {
    const files = candidates.map((c) => c.file).join(' and ');
    throw new ProfileError([...diagnostics, ...candidates.map((c) => ({ severity: 'error' as const, file: c.file, ...c.source.locate(['metadata', 'name']), path: 'metadata.name', message: `"${options.cluster}" is the name in ${files}: each cluster needs its own name` }))]);
  } else if (diagnostics.some((d) => d.severity === 'error')) {
    throw new ProfileError(diagnostics);
  } else {
    throw new ProfileError([{ severity: 'error', file: displayPath(options.clustersDir), line: 1, col: 1, path: '', message: `holds no ClusterProfile named "${options.cluster}"` }]);
  }

  const outdir = path.resolve(options.outdir);
  recoverInterruptedSwap(outdir);
  const staging = stagingPath(outdir, 'staging');
  const name = options.cluster;
  const swap = () => {
    fs.mkdirSync(path.join(outdir, REVIEWS_DIR), { recursive: true });
    swapIn(path.join(staging, name), path.join(outdir, name));
    replaceFile(path.join(staging, REVIEWS_DIR, `${name}.md`), path.join(outdir, REVIEWS_DIR, `${name}.md`));
    replaceFile(path.join(staging, VALUES_DIR, ciliumValuesFile(name)), path.join(outdir, VALUES_DIR, ciliumValuesFile(name)));
  };
  return staged(staging, () => renderFleet(candidates, staging, { fleetFiles: false }), swap, { clusters: [name], warnings: diagnostics });
}

export interface RenderOptions {
  /** Write the review index, which spans the fleet. */
  readonly fleetFiles?: boolean;
}

/** Write the clusters' objects and reviews into `dir`, which must not exist yet. */
export function renderFleet(profiles: readonly LoadedProfile[], dir: string, options: RenderOptions = {}): void {
  const fleetFiles = options.fleetFiles ?? true;
  const app = new App({ outdir: dir, yamlOutputType: YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE, outputFileExtension: MANIFEST_EXTENSION });
  const charts = profiles.map((p) => ({ loaded: p, chart: new ClusterChart(app, { cluster: p.cluster }) }));
  // Built in single-cluster mode too: the review lists the cluster's Applications either way.
  const argocd = argocdChart(app, charts.map((c) => c.chart));
  app.synth();
  fs.mkdirSync(path.join(dir, REVIEWS_DIR), { recursive: true });
  for (const { loaded, chart } of charts) {
    const c = loaded.cluster;
    const review = clusterReview(loaded, chart, argocd, (file, text) => {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    });
    fs.writeFileSync(path.join(dir, REVIEWS_DIR, `${c.name}.md`), review);
  }
  if (fleetFiles) fs.writeFileSync(path.join(dir, REVIEWS_DIR, 'README.md'), renderFleetIndex(profiles.map((p) => ({ cluster: p.cluster, warnings: p.warnings.length }))));
  refuseSecrets(dir, profiles);
}

/** Fail the synth, naming the profile responsible, if any rendered file carries a credential. */
function refuseSecrets(dir: string, profiles: readonly LoadedProfile[]): void {
  const leaks = findSecrets(dir);
  if (leaks.length === 0) return;
  const byName = new Map(profiles.map((p) => [p.cluster.name, p]));
  const owner = (file: string): LoadedProfile | undefined => {
    const [top, rest] = file.split(path.sep);
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
      message: `would write ${leak.what} into dist/${leak.file.split(path.sep).join('/')}: dist/ is committed, so credentials stay in the cluster (a Secret made there, credential_path for Terway)`,
    })),
  );
}

/** The review of one cluster; `write` receives the side files (Helm values) it refers to. */
export function clusterReview(loaded: LoadedProfile, chart: ClusterChart, argocd: Chart | undefined, write: (file: string, text: string) => void): string {
  const c = loaded.cluster;
  const applications = argocd ? renderedObjects(argocd).filter((o) => o.name === c.name || o.name === ciliumApplicationName(c.name)) : [];
  const valuesFiles: string[] = [];
  if (c.cilium) {
    const file = `${VALUES_DIR}/${ciliumValuesFile(c.name)}`;
    write(file, ciliumValuesYaml(c.cilium.values));
    valuesFiles.push(file);
  }
  return renderReview({ cluster: c, profileFile: loaded.file, warnings: loaded.warnings, objects: renderedObjects(chart), applications, valuesFiles });
}

export function ciliumValuesFile(cluster: string): string {
  return `${cluster}.cilium-values.yaml`;
}

/** Move `from` over `to` (rename is atomic on one file system); no `from` removes `to`. */
function replaceFile(from: string, to: string): void {
  if (fs.existsSync(from)) {
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.renameSync(from, to);
  } else {
    fs.rmSync(to, { force: true });
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
function stagingPath(outdir: string, purpose: string, pid = process.pid): string {
  return path.join(path.dirname(outdir), `.${path.basename(outdir)}-${purpose}-${pid}`);
}

/**
 * A synth killed outright (SIGKILL, power loss) between the two renames of a swap leaves dist/
 * moved aside: put it back, and clear the staging folders of processes that are gone.
 */
export function recoverInterruptedSwap(outdir: string): void {
  const parent = path.dirname(outdir);
  if (!fs.existsSync(parent)) return;
  const prefix = `.${path.basename(outdir)}-`;
  for (const entry of fs.readdirSync(parent)) {
    const m = entry.startsWith(prefix) ? /^(staging|old)-(\d+)$/.exec(entry.slice(prefix.length)) : null;
    if (!m || processAlive(Number(m[2]))) continue;
    const leftover = path.join(parent, entry);
    if (m[1] === 'old' && !fs.existsSync(outdir)) fs.renameSync(leftover, outdir);
    else fs.rmSync(leftover, { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Replace `outdir` by `staging` with two renames; the old tree is removed only after. No `staging` removes `outdir`. */
function swapIn(staging: string, outdir: string): void {
  const old = stagingPath(outdir, 'old');
  fs.rmSync(old, { recursive: true, force: true });
  const hadOutdir = fs.existsSync(outdir);
  if (hadOutdir) fs.renameSync(outdir, old);
  try {
    if (fs.existsSync(staging)) fs.renameSync(staging, outdir);
  } catch (e) {
    if (hadOutdir) fs.renameSync(old, outdir);
    throw e;
  }
  fs.rmSync(old, { recursive: true, force: true });
}

/**
 * `explain`: one profile checked, resolved and reviewed in memory, nothing written. Throws
 * `ProfileError` with the same diagnostics synth would give for that file.
 */
export function explainProfile(file: string): { resolved: string; review: string; warnings: readonly Diagnostic[] } {
  const shown = displayPath(file);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ProfileError([{ severity: 'error', file: shown, line: 1, col: 1, path: '', message: `cannot be read: ${(e as Error).message}` }]);
  }
  const result = loadProfileText(shown, text);
  if (!result.profile) throw new ProfileError(result.diagnostics);
  const loaded = result.profile;
  const app = new App({ outdir: path.join(os.tmpdir(), 'netscale-explain-unused'), yamlOutputType: YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE });
  const chart = new ClusterChart(app, { cluster: loaded.cluster });
  const argocd = argocdChart(app, [chart]);
  const review = clusterReview(loaded, chart, argocd, () => undefined);
  const { decisions: _d, notes: _n, steps: _s, ...resolved } = loaded.cluster;
  return { resolved: stringify(resolved, { sortMapEntries: false }), review, warnings: loaded.warnings };
}
