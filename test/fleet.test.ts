import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, YamlOutputType } from 'cdk8s';
import { ClusterChart } from '../lib/cluster/cluster-chart';
import { loadProfiles } from '../lib/cluster/load';
import { deliverWithArgocd } from '../lib/delivery/argocd/deliver';
import { argocdChart } from '../lib/delivery/argocd/fleet-chart';
import { CDK8S_STAGING_DIR } from '../lib/output/cdk8s-cli';
import { synthesizeFleet } from '../lib/output/fleet';
import { OUTPUT_MARKER, OUTPUT_MARKER_TEXT } from '../lib/output/output-folder';
import { MANIFEST_EXTENSION, renderTree } from '../lib/output/render';
import { ProfileError } from '../lib/profile/diagnostics';
import { runCli } from './support/cli';
import { snapshot, tempDirPerTest } from './support/files';
import { ACK_TERWAY, profileYaml } from './support/profiles';
import { CALICO_YAML_CALICO_NODE, K8sObject, readManifests, serverSideMerge, validateObject } from './support/validate';

const ROOT = path.join(__dirname, '..');
const EXAMPLES = path.join(ROOT, 'clusters');
const COMMITTED = path.join(ROOT, 'dist');
/** Folders of dist/ that hold no Kubernetes objects. */
const NOT_SYNCED = ['reviews', 'values'];

/** Objects of the cluster folders and dist/argocd/, never the reviews or Helm values. */
function syncedManifests(dir: string) {
  return readManifests(dir).filter((m) => !NOT_SYNCED.includes(path.relative(dir, m.file).split(path.sep)[0]));
}

const temp = tempDirPerTest('fleet');

describe('the example fleet', () => {
  test('synthesizes to exactly the committed dist/', () => {
    const out = path.join(temp.path, 'dist');
    synthesizeFleet({ clustersDir: EXAMPLES, outdir: out });
    expect(snapshot(out)).toEqual(snapshot(COMMITTED));
  });

  test('the cdk8s CLI runs the same app and writes the same files, offline', () => {
    const out = path.join(temp.path, 'cli');
    const run = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'cdk8s'), ['synth', '--no-check-upgrade', '--output', out], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    expect(snapshot(out)).toEqual(snapshot(COMMITTED));
  }, 30_000);

  test('the cluster folders and dist/argocd are exactly what cdk8s writes with FOLDER_PER_CHART_FILE_PER_RESOURCE', () => {
    const loaded = loadProfiles(EXAMPLES).profiles;
    const out = path.join(temp.path, 'cdk8s');
    const app = new App({ outdir: out, yamlOutputType: YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE, outputFileExtension: MANIFEST_EXTENSION });
    const charts = loaded.map((p) => new ClusterChart(app, { cluster: p.cluster }));
    for (const chart of charts) deliverWithArgocd(chart);
    argocdChart(app, charts);
    app.synth();
    const ours = Object.fromEntries(
      [...renderTree(loaded)]
        .filter(([file]) => !file.startsWith('reviews/') && !file.startsWith('values/'))
        .map(([file, text]) => [file.split('/').join(path.sep), text]),
    );
    expect(ours).toEqual(snapshot(out));
  });

  test('two runs give identical bytes', () => {
    synthesizeFleet({ clustersDir: EXAMPLES, outdir: path.join(temp.path, 'a') });
    synthesizeFleet({ clustersDir: EXAMPLES, outdir: path.join(temp.path, 'b') });
    expect(snapshot(path.join(temp.path, 'b'))).toEqual(snapshot(path.join(temp.path, 'a')));
  });

  test('every object in every cluster folder is valid against its schema', () => {
    const out = path.join(temp.path, 'dist');
    synthesizeFleet({ clustersDir: EXAMPLES, outdir: out });
    const manifests = syncedManifests(out);
    expect(manifests.length).toBeGreaterThan(5);
    // netscale renders DaemonSets only as partial objects (server-side apply patches): those are
    // checked merged into the DaemonSet the install made.
    const partial = (o: K8sObject) => o.kind === 'DaemonSet';
    const problems = manifests.filter((m) => !partial(m.object)).flatMap((m) => validateObject(m.object));
    expect(problems).toEqual([]);
    const patches = manifests.filter((m) => partial(m.object));
    expect(patches.length).toBeGreaterThan(0);
    for (const p of patches) expect(validateObject(serverSideMerge(CALICO_YAML_CALICO_NODE, p.object) as K8sObject)).toEqual([]);
  });

  test('a cluster folder holds only Kubernetes objects, one per file, named <Kind>.<name>', () => {
    for (const m of syncedManifests(COMMITTED)) {
      expect(path.basename(m.file)).toBe(`${m.object.kind}.${m.object.metadata?.name}.k8s.yaml`);
      expect(m.object.apiVersion).toBeTruthy();
    }
  });

  test("no name carries a hash, not even a restart Job's (one per DaemonSet), and no image floats", () => {
    for (const m of syncedManifests(COMMITTED)) {
      expect(m.object.metadata?.name).not.toMatch(/-[0-9a-f]{6,}$/);
      const text = JSON.stringify(m.object);
      expect(text).not.toMatch(/"image":"[^"]*:latest"/);
      expect(text).not.toMatch(/access_key|access_secret/);
    }
  });

  test('each cluster gets a review with its decisions, objects and rollout', () => {
    const review = fs.readFileSync(path.join(COMMITTED, 'reviews', 'ack-sh-relay.md'), 'utf8');
    expect(review).toContain('| Typha replicas | 5 | min(20, max(3, ceil(1000 / 200))) = 5 |');
    expect(review).toContain('`Deployment.calico-typha.k8s.yaml`');
    expect(review).toContain('`argocd/Application.ack-sh-relay.k8s.yaml`');
    for (const row of review.split('\n').filter((l) => l.includes('.k8s.yaml`'))) {
      const file = row.match(/`([^`]+\.k8s\.yaml)`/)![1];
      expect(fs.existsSync(file.startsWith('argocd/') ? path.join(COMMITTED, file) : path.join(COMMITTED, 'ack-sh-relay', file))).toBe(true);
    }
  });

  test('without Argo CD the review gives the rollout as kubectl commands in wave order', () => {
    const review = fs.readFileSync(path.join(COMMITTED, 'reviews', 'ack-hz-nopolicy.md'), 'utf8');
    expect(review).toContain(
      '1. switch: `kubectl apply --server-side --force-conflicts --field-manager=netscale -f dist/ack-hz-nopolicy/ConfigMap.eni-config.k8s.yaml`',
    );
    expect(review).toContain(
      '2. restart `terway-eniip` (Terway reads eni-config only when it starts), at its own maxUnavailable (10% of the nodes at a time): ' +
        '`kubectl -n kube-system rollout restart ds/terway-eniip && kubectl -n kube-system rollout status ds/terway-eniip --timeout=30m`',
    );
  });
});

describe('a failed synth', () => {
  function fleetWithProblem(): string {
    const clusters = path.join(temp.path, 'clusters');
    fs.mkdirSync(clusters);
    fs.writeFileSync(path.join(clusters, 'good.yaml'), profileYaml({ ...ACK_TERWAY, networkPolicy: 'relay' }, 'good'));
    fs.writeFileSync(path.join(clusters, 'bad.yaml'), profileYaml({ ...ACK_TERWAY, nodes: 'many', netwrkPolicy: 'relay' }, 'bad'));
    return clusters;
  }

  test('throws one error listing every problem, and leaves dist/ byte-identical', () => {
    const out = path.join(temp.path, 'dist');
    synthesizeFleet({ clustersDir: EXAMPLES, outdir: out });
    const before = snapshot(out);
    let thrown: unknown;
    try {
      synthesizeFleet({ clustersDir: fleetWithProblem(), outdir: out });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ProfileError);
    expect((thrown as ProfileError).diagnostics.map((d) => d.path)).toEqual(['spec.nodes', 'spec.netwrkPolicy']);
    expect(snapshot(out)).toEqual(before);
    expect(fs.readdirSync(temp.path).filter((f) => f.startsWith('.dist-'))).toEqual([]);
  });

  test('the command exits non-zero with the report, no stack trace, and dist/ untouched', async () => {
    const out = path.join(temp.path, 'dist');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, OUTPUT_MARKER), OUTPUT_MARKER_TEXT);
    fs.writeFileSync(path.join(out, 'keep.txt'), 'unchanged');
    const run = await runCli([], { env: { CLUSTERS_DIR: fleetWithProblem(), CDK8S_OUTDIR: out } });
    expect(run.status).toBe(1);
    expect(run.stderr.split('\n')[0]).toBe(`error: 2 problems in the cluster profiles; ${out}/ was not changed:`);
    expect(run.stderr).toMatch(/bad\.yaml:\d+:\d+ spec\.nodes: must be a number \(got "many"\)/);
    expect(run.stderr).toMatch(/bad\.yaml:\d+:\d+ spec\.netwrkPolicy: unknown field \(did you mean "networkPolicy"\?\)/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(snapshot(out)).toEqual({ [OUTPUT_MARKER]: OUTPUT_MARKER_TEXT, 'keep.txt': 'unchanged' });
  });

  test('the command prints warnings and succeeds on a valid fleet', async () => {
    const clusters = path.join(temp.path, 'clusters');
    fs.mkdirSync(clusters);
    fs.writeFileSync(path.join(clusters, 'direct.yaml'), profileYaml({ ...ACK_TERWAY, networkPolicy: 'direct' }, 'direct'));
    const run = await runCli([], { env: { CLUSTERS_DIR: clusters, CDK8S_OUTDIR: path.join(temp.path, 'out') } });
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/^warning: .*direct\.yaml:\d+:\d+ spec\.networkPolicy: direct on 1000 nodes/);
    expect(fs.existsSync(path.join(temp.path, 'out', 'direct', 'ConfigMap.eni-config.k8s.yaml'))).toBe(true);
  });
});

describe('the cdk8s CLI path (npx cdk8s synth)', () => {
  /** A project folder whose cdk8s.yaml is the real one, running this checkout's app. */
  function project(profiles: Record<string, Record<string, unknown>>): string {
    const dir = path.join(temp.path, 'project');
    fs.mkdirSync(path.join(dir, 'clusters'), { recursive: true });
    const config = fs
      .readFileSync(path.join(ROOT, 'cdk8s.yaml'), 'utf8')
      .replace(/^app: node bin\/netscale\.js$/m, `app: node ${JSON.stringify(path.join(ROOT, 'bin', 'netscale.js'))}`);
    fs.writeFileSync(path.join(dir, 'cdk8s.yaml'), config);
    for (const [name, spec] of Object.entries(profiles)) fs.writeFileSync(path.join(dir, 'clusters', `${name}.yaml`), profileYaml(spec, name));
    fs.mkdirSync(path.join(dir, 'dist', 'old'), { recursive: true });
    // A dist/ an earlier synth wrote: its marker, and a file the bad run must not lose.
    fs.writeFileSync(path.join(dir, 'dist', OUTPUT_MARKER), OUTPUT_MARKER_TEXT);
    fs.writeFileSync(path.join(dir, 'dist', 'old', 'keep.txt'), 'committed');
    return dir;
  }
  const cli = (cwd: string, ...args: string[]) =>
    spawnSync(path.join(ROOT, 'node_modules', '.bin', 'cdk8s'), ['synth', '--no-check-upgrade', ...args], { cwd, encoding: 'utf8' });

  test('cdk8s.yaml points the CLI, which empties its output folder first, at a staging folder, never dist/', () => {
    const config = fs.readFileSync(path.join(ROOT, 'cdk8s.yaml'), 'utf8');
    expect(config).toMatch(new RegExp(`^output: ${CDK8S_STAGING_DIR.replace(/\./g, '\\.')}$`, 'm'));
    expect(config).toMatch(/^app: node bin\/netscale\.js$/m);
  });

  test('a bad profile fails the command and leaves dist/ exactly as it was, as npm run synth does', () => {
    const dir = project({ good: { ...ACK_TERWAY, networkPolicy: 'relay' }, bad: { ...ACK_TERWAY, nodes: 'many' } });
    const run = cli(dir);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('error: 1 problem in the cluster profiles; dist/ was not changed:');
    expect(snapshot(path.join(dir, 'dist'))).toEqual({ [OUTPUT_MARKER]: OUTPUT_MARKER_TEXT, [path.join('old', 'keep.txt')]: 'committed' });
  }, 30_000);

  test('a valid fleet is written to dist/ as npm run synth writes it, and the files the CLI lists exist', () => {
    const dir = project({ good: { ...ACK_TERWAY, networkPolicy: 'relay' } });
    const run = cli(dir);
    expect(run.status).toBe(0);
    // npm run synth in the same folder, into another one.
    const expected = path.join(dir, 'expected');
    expect(
      spawnSync(process.execPath, [path.join(ROOT, 'bin', 'netscale.js')], { cwd: dir, env: { ...process.env, CDK8S_OUTDIR: 'expected' } }).status,
    ).toBe(0);
    expect(snapshot(path.join(dir, 'dist'))).toEqual(snapshot(expected));
    const listed = [...run.stdout.matchAll(/^ {2}- (.+)$/gm)].map((m) => m[1]);
    expect(listed.length).toBeGreaterThan(0);
    for (const file of listed) expect(fs.existsSync(path.resolve(dir, file))).toBe(true);
    expect(snapshot(path.join(dir, CDK8S_STAGING_DIR))).toEqual(snapshot(expected));
  }, 30_000);

  test('an output folder given to the CLI is emptied by the CLI, and a failed run says so instead of "not changed"', () => {
    const dir = project({ bad: { ...ACK_TERWAY, nodes: 'many' } });
    const run = cli(dir, '--output', 'dist');
    expect(run.status).not.toBe(0);
    expect(run.stderr).not.toContain('was not changed');
    expect(run.stderr).toContain('nothing was written, but the cdk8s CLI emptied dist/ before netscale ran');
    expect(snapshot(path.join(dir, 'dist'))).toEqual({});
  }, 30_000);
});
