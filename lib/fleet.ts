/**
 * A fleet of profiles to dist/: load and check every profile, synthesize into a staging folder
 * beside dist/, then swap it in. Any problem leaves dist/ exactly as it was.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, YamlOutputType } from 'cdk8s';
import { ClusterChart } from './cluster-chart';
import { Diagnostic, ProfileError } from './profile/diagnostics';
import { LoadedProfile, loadProfiles } from './profile/load';
import { RenderedObject, renderReview } from './review';

export const REVIEWS_DIR = 'reviews';
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
  app.synth();
  fs.mkdirSync(path.join(dir, REVIEWS_DIR), { recursive: true });
  for (const { loaded, chart } of charts) {
    const review = renderReview({ cluster: loaded.cluster, profileFile: loaded.file, warnings: loaded.warnings, objects: renderedObjects(chart) });
    fs.writeFileSync(path.join(dir, REVIEWS_DIR, `${loaded.cluster.name}.md`), review);
  }
}

/** The objects of a chart with the file cdk8s writes each to (`<Kind>.<name>.k8s.yaml`). */
export function renderedObjects(chart: ClusterChart): RenderedObject[] {
  return chart.node
    .findAll()
    .filter((c): c is ApiObject => c instanceof ApiObject)
    .map((o) => ({
      kind: o.kind,
      name: o.name,
      namespace: o.metadata.namespace,
      file: `${o.kind}.${o.name}`.replace(/[^0-9a-zA-Z-_.]/g, '') + MANIFEST_EXTENSION,
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
