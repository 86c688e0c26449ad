import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { StagedApplicationSet, StagedApplicationSetProps } from '../lib/delivery/argocd/staged-application-set';
import { synthesizeCluster, synthesizeFleet } from '../lib/output/fleet';
import { ProfileError } from '../lib/profile/diagnostics';
import { ApplicationSet, generateApplications, RESOURCES_FINALIZER, rollingSyncSelection } from './support/applicationset';
import { snapshot, tempDirPerTest } from './support/files';
import { ACK_TERWAY, CALICO_INSTALL, KUBEADM_CALICO, loadSpec, profileYaml, Spec } from './support/profiles';
import { K8sObject, validateObject } from './support/validate';
import { testChart } from './support/charts';

const ARGOCD = { repoURL: 'https://git.example.com/platform/fleet.git' };
const cilium = (version: string, host: string, extra: Spec = {}): Spec => ({
  platform: 'kubeadm',
  cni: 'cilium',
  kubernetesVersion: '1.31',
  nodes: 50,
  cilium: { version, k8sServiceHost: host, k8sServicePort: 6443, ...extra },
});

/** A held-back fleet: canaries, an early stage, a late stage, and clusters outside the stages. */
const FLEET: Record<string, Spec> = {
  'sh-canary': { ...ACK_TERWAY, nodes: 100, networkPolicy: 'relay', argocd: { ...ARGOCD, stage: 0 } },
  'fra-canary': { ...cilium('1.13.4', '10.0.0.1'), argocd: { ...ARGOCD, stage: 0, destination: { server: 'https://fra-canary.example.com:6443' } } },
  'sh-early': {
    ...ACK_TERWAY,
    networkPolicy: 'disabled',
    argocd: { ...ARGOCD, stage: 2, maxUpdate: 1, project: 'early', destination: { name: 'sh-early' } },
  },
  // Typha's replicas belong to its autoscaler here: the cluster's Application ignores them.
  'dc-early': {
    ...KUBEADM_CALICO,
    networkPolicy: 'relay',
    calico: CALICO_INSTALL,
    typha: { autoscale: true },
    argocd: { ...ARGOCD, stage: 2, maxUpdate: 1 },
  },
  'fra-late': {
    ...cilium('1.18.12', '10.0.0.2', { routingMode: 'native', ipv4NativeRoutingCidr: '10.0.0.0/8', hubble: { relay: true, ui: true } }),
    nodes: 400,
    argocd: { ...ARGOCD, stage: 5, maxUpdate: '25%', destination: { name: 'fra-late' } },
  },
  'sh-late': { ...ACK_TERWAY, nodes: 3000, networkPolicy: 'relay', argocd: { ...ARGOCD, stage: 5, maxUpdate: '25%' } },
  'sh-legacy': { ...ACK_TERWAY, networkPolicy: 'relay', argocd: ARGOCD },
  'fra-legacy': { ...cilium('1.18.12', '10.0.0.3'), argocd: { ...ARGOCD, destination: { name: 'fra-legacy' } } },
  lab: { ...KUBEADM_CALICO, nodes: 20 },
};
const STAGED = ['dc-early', 'fra-canary', 'fra-late', 'sh-canary', 'sh-early', 'sh-late'];

/** The same fleet as it was before stages: no stage, no maxUpdate. */
function unstaged(fleet: Record<string, Spec>): Record<string, Spec> {
  return Object.fromEntries(
    Object.entries(fleet).map(([name, spec]) => {
      if (!spec.argocd) return [name, spec];
      const { stage: _s, maxUpdate: _m, ...argocd } = spec.argocd as Spec;
      return [name, { ...spec, argocd }];
    }),
  );
}

const temp = tempDirPerTest('stages');

function writeFleet(fleet: Record<string, Spec>, dir: string, root = temp.path): string {
  const clusters = path.join(root, dir, 'clusters');
  fs.mkdirSync(clusters, { recursive: true });
  for (const [name, spec] of Object.entries(fleet)) fs.writeFileSync(path.join(clusters, `${name}.yaml`), profileYaml(spec, name));
  return clusters;
}

function synth(fleet: Record<string, Spec>, dir = 'fleet', root = temp.path): string {
  const clustersDir = writeFleet(fleet, dir, root);
  const out = path.join(root, dir, 'dist');
  synthesizeFleet({ clustersDir, outdir: out });
  return out;
}

function read(out: string, file: string): unknown {
  return parse(fs.readFileSync(path.join(out, file), 'utf8'));
}

/** The list elements of a staged ApplicationSet: one cluster each. */
type StageElement = { cluster: string; stage: string; version?: string; destination: Record<string, string> };

function synthErrors(fleet: Record<string, Spec>): string[] {
  try {
    synth(fleet, 'bad');
  } catch (e) {
    return (e as ProfileError).diagnostics
      .filter((d) => d.severity === 'error')
      .map((d) => `${path.basename(d.file)}:${d.line}:${d.col} ${d.path}: ${d.message}`);
  }
  throw new Error('the synth did not fail');
}

describe('a held-back fleet', () => {
  // Rendered once for the tests below, which only read it.
  let root: string;
  let staged: string;
  let before: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'netscale-stages-fleet-'));
    staged = synth(FLEET, 'staged', root);
    before = synth(unstaged(FLEET), 'before', root);
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const appSet = (name: string) => read(staged, `argocd/ApplicationSet.${name}.k8s.yaml`) as ApplicationSet;

  test('renders two ApplicationSets that are valid against the vendored CRD', () => {
    const files = fs.readdirSync(path.join(staged, 'argocd')).filter((f) => f.startsWith('ApplicationSet.'));
    expect(files).toEqual(['ApplicationSet.netscale-cilium-stages.k8s.yaml', 'ApplicationSet.netscale-stages.k8s.yaml']);
    for (const f of files) expect(validateObject(read(staged, `argocd/${f}`) as K8sObject)).toEqual([]);
  });

  test('the CRD check catches a broken ApplicationSet, so a pass means something', () => {
    // Typed as the fields it breaks: a maxUpdate that is neither a count nor a percentage, and no project.
    const broken = appSet('netscale-stages') as K8sObject & {
      spec: { strategy: { rollingSync: { steps: Array<{ maxUpdate: unknown }> } }; template: { spec: { project?: string } } };
    };
    broken.spec.strategy.rollingSync.steps[0].maxUpdate = true;
    delete broken.spec.template.spec.project;
    expect(validateObject(broken)).toEqual([
      'ApplicationSet argocd/netscale-stages: /spec/strategy/rollingSync/steps/0/maxUpdate must be integer',
      'ApplicationSet argocd/netscale-stages: /spec/strategy/rollingSync/steps/0/maxUpdate must be string',
      'ApplicationSet argocd/netscale-stages: /spec/strategy/rollingSync/steps/0/maxUpdate must match a schema in anyOf',
      "ApplicationSet argocd/netscale-stages: /spec/template/spec must have required property 'project'",
    ]);
  });

  test("one step per stage present in each ApplicationSet, in order, each matching exactly that stage, with the stage's maxUpdate", () => {
    const steps = (name: string) => appSet(name).spec.strategy!;
    expect(steps('netscale-stages')).toEqual({
      type: 'RollingSync',
      rollingSync: {
        steps: [
          { matchExpressions: [{ key: 'netscale.dev/stage', operator: 'In', values: ['0'] }], maxUpdate: '100%' },
          { matchExpressions: [{ key: 'netscale.dev/stage', operator: 'In', values: ['2'] }], maxUpdate: 1 },
          { matchExpressions: [{ key: 'netscale.dev/stage', operator: 'In', values: ['5'] }], maxUpdate: '25%' },
        ],
      },
    });
    // No Cilium cluster sits in stage 2, and a step that selects nothing is an invalid rollout to Argo CD.
    expect(steps('netscale-cilium-stages').rollingSync!.steps.map((s) => [s.matchExpressions![0].values, s.maxUpdate])).toEqual([
      [['0'], '100%'],
      [['5'], '25%'],
    ]);
  });

  test('the generator lists every staged cluster exactly once, with its stage, folder and destination', () => {
    const elements = appSet('netscale-stages').spec.generators[0].list!.elements as StageElement[];
    expect(elements.map((e) => e.cluster).sort()).toEqual(['dc-early', 'sh-canary', 'sh-early', 'sh-late']);
    const byName = Object.fromEntries(elements.map((e) => [e.cluster, e]));
    const own = { ignoreDifferences: [], syncOptions: ['PruneLast=true'] };
    expect(byName['sh-early']).toEqual({
      cluster: 'sh-early',
      stage: '2',
      project: 'early',
      path: 'dist/sh-early',
      destination: { name: 'sh-early' },
      ...own,
    });
    expect(byName['sh-canary']).toEqual({
      cluster: 'sh-canary',
      stage: '0',
      project: 'default',
      path: 'dist/sh-canary',
      destination: { server: 'https://kubernetes.default.svc' },
      ...own,
    });
    const cilium = appSet('netscale-cilium-stages').spec.generators[0].list!.elements as StageElement[];
    expect(cilium.map((e) => [e.cluster, e.stage, e.version, e.destination])).toEqual([
      ['fra-canary', '0', '1.13.4', { server: 'https://fra-canary.example.com:6443', namespace: 'kube-system' }],
      ['fra-late', '5', '1.18.12', { name: 'fra-late', namespace: 'kube-system' }],
    ]);
  });

  test('every generated Application is the one the cluster gets without stages, labelled with its stage', () => {
    const generated = [...generateApplications(appSet('netscale-stages')), ...generateApplications(appSet('netscale-cilium-stages'))];
    expect(generated.map((a) => a.metadata.name).sort()).toEqual([
      'dc-early',
      'fra-canary-cilium',
      'fra-late-cilium',
      'sh-canary',
      'sh-early',
      'sh-late',
    ]);
    for (const app of generated) {
      const { 'netscale.dev/stage': stage, ...labels } = app.metadata.labels!;
      const cluster = app.metadata.name.replace(/-cilium$/, '');
      expect(stage).toBe(String((FLEET[cluster].argocd as Spec).stage));
      // An empty ignoreDifferences ignores nothing, exactly as an Application without the field.
      const spec =
        Array.isArray(app.spec.ignoreDifferences) && app.spec.ignoreDifferences.length === 0
          ? { ...app.spec, ignoreDifferences: undefined }
          : app.spec;
      expect(JSON.parse(JSON.stringify({ ...app, metadata: { ...app.metadata, labels }, spec }))).toEqual(
        read(before, `argocd/Application.${app.metadata.name}.k8s.yaml`),
      );
    }
  });

  test("fields a controller owns stay per cluster: only the autoscaled cluster's Application ignores Typha's replicas", () => {
    const generated = Object.fromEntries(generateApplications(appSet('netscale-stages')).map((a) => [a.metadata.name, a]));
    expect(generated['dc-early'].spec.ignoreDifferences).toEqual([
      { group: 'apps', kind: 'Deployment', name: 'calico-typha', namespace: 'kube-system', jsonPointers: ['/spec/replicas'] },
    ]);
    expect(generated['dc-early'].spec.syncPolicy!.syncOptions).toContain('RespectIgnoreDifferences=true');
    expect(generated['sh-canary'].spec.ignoreDifferences).toEqual([]);
    expect(generated['sh-canary'].spec.syncPolicy!.syncOptions).not.toContain('RespectIgnoreDifferences=true');
  });

  test('per-cluster Helm values and chart versions survive: each generated Cilium Application carries its own', () => {
    for (const app of generateApplications(appSet('netscale-cilium-stages'))) {
      const cluster = app.metadata.name.replace(/-cilium$/, '');
      expect(app.spec.source.helm!.valuesObject).toEqual(read(staged, `values/${cluster}.cilium-values.yaml`));
      expect(app.spec.source.targetRevision).toBe((FLEET[cluster].cilium as Spec).version);
    }
    // The template itself holds no values: a strategic merge patch cannot merge into them, only add them.
    expect(appSet('netscale-cilium-stages').spec.template.spec.source.helm).toEqual({ releaseName: 'cilium' });
  });

  test("RollingSync selects each generated Application in exactly one step, the one of its cluster's stage", () => {
    for (const name of ['netscale-stages', 'netscale-cilium-stages']) {
      const set = appSet(name);
      const selection = rollingSyncSelection(set, generateApplications(set));
      const stageOfStep = set.spec.strategy!.rollingSync!.steps.map((s) => Number(s.matchExpressions![0].values[0]));
      for (const [app, steps] of selection) {
        expect(steps).toHaveLength(1);
        expect(stageOfStep[steps[0]]).toBe((FLEET[app.replace(/-cilium$/, '')].argocd as Spec).stage);
      }
      // Every step selects something, and the stages rise.
      expect(stageOfStep.every((s, i) => [...selection.values()].some((x) => x[0] === i) && (i === 0 || s > stageOfStep[i - 1]))).toBe(true);
    }
  });

  test("generated Applications carry no resources finalizer, so deleting one leaves the cluster's objects in place", () => {
    const set = appSet('netscale-stages');
    for (const app of generateApplications(set)) expect(app.metadata.finalizers).toBeUndefined();
    // Without preserveResourcesOnDeletion Argo CD would add the finalizer.
    const unguarded = { ...set, spec: { ...set.spec, syncPolicy: {} } };
    expect(generateApplications(unguarded)[0].metadata.finalizers).toEqual([RESOURCES_FINALIZER]);
  });

  test('clusters without a stage keep byte-identical Applications, and the root Application is unchanged', () => {
    for (const file of ['Application.sh-legacy.k8s.yaml', 'Application.fra-legacy-cilium.k8s.yaml', 'Application.netscale-fleet.k8s.yaml']) {
      expect(fs.readFileSync(path.join(staged, 'argocd', file), 'utf8')).toBe(fs.readFileSync(path.join(before, 'argocd', file), 'utf8'));
    }
    const apps = fs.readdirSync(path.join(staged, 'argocd')).filter((f) => f.startsWith('Application.'));
    expect(apps).toEqual(['Application.fra-legacy-cilium.k8s.yaml', 'Application.netscale-fleet.k8s.yaml', 'Application.sh-legacy.k8s.yaml']);
    // The cluster folders do not change with the delivery.
    for (const c of STAGED) expect(snapshot(path.join(staged, c))).toEqual(snapshot(path.join(before, c)));
    expect(fs.readdirSync(path.join(before, 'argocd')).some((f) => f.startsWith('ApplicationSet.'))).toBe(false);
  });

  test('the root Application applies the ApplicationSets server-side: one object holds every cluster', () => {
    for (const name of ['netscale-stages', 'netscale-cilium-stages'])
      expect(appSet(name).metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-options': 'ServerSideApply=true' });
  });

  test('two runs give identical bytes', () => {
    const again = path.join(temp.path, 'again');
    synthesizeFleet({ clustersDir: path.join(root, 'staged', 'clusters'), outdir: again });
    expect(snapshot(again)).toEqual(snapshot(staged));
  });

  test('the fleet index lists the stages with their clusters and nodes, and the clusters outside them', () => {
    const index = fs.readFileSync(path.join(staged, 'reviews', 'README.md'), 'utf8');
    expect(index).toContain(
      [
        '| stage | clusters | nodes | sync | members |',
        '| --- | ---: | ---: | --- | --- |',
        '| 0 | 2 | 150 | all at once | [fra-canary](fra-canary.md), [sh-canary](sh-canary.md) |',
        '| 2 | 2 | 1,600 | 1 at a time | [dc-early](dc-early.md), [sh-early](sh-early.md) |',
        '| 5 | 2 | 3,400 | 25% at a time (rounded down, at least one) | [fra-late](fra-late.md), [sh-late](sh-late.md) |',
        '| not staged | 2 | 1,050 | at once, by their own Applications, outside the stages | [fra-legacy](fra-legacy.md), ' +
          '[sh-legacy](sh-legacy.md) |',
      ].join('\n'),
    );
    expect(fs.readFileSync(path.join(before, 'reviews', 'README.md'), 'utf8')).not.toContain('Rollout stages');
  });

  test("a staged cluster's review says its stage, what must be healthy before it, and which ApplicationSet delivers it", () => {
    const review = fs.readFileSync(path.join(staged, 'reviews', 'sh-early.md'), 'utf8');
    expect(review).toContain('| ApplicationSet | netscale-stages | argocd | `argocd/ApplicationSet.netscale-stages.k8s.yaml` |');
    expect(review).not.toContain('Application.sh-early');
    expect(review).toContain('Rollout stage 2 of the fleet: the ApplicationSet `netscale-stages` generates its Application `sh-early`.');
    expect(review).toContain('- before: every Application the same ApplicationSet generates for stages below 2 must be Healthy (synced and healthy)');
    expect(review).toContain('- stage 2: its Applications sync 1 at a time.');
    expect(review).toContain('| rollout stage | 2, maxUpdate 1 |');
    const canary = fs.readFileSync(path.join(staged, 'reviews', 'fra-canary.md'), 'utf8');
    expect(canary).toContain(
      'Rollout stage 0 of the fleet: the ApplicationSet `netscale-cilium-stages` generates its Cilium Application `fra-canary-cilium`.',
    );
    expect(canary).toContain('- before: stage 0 goes first; nothing has to be Healthy before it.');
    expect(fs.readFileSync(path.join(staged, 'reviews', 'sh-legacy.md'), 'utf8')).not.toContain('Rollout stage');
  });

  test('a staged review is the same from a one-cluster synth: it depends on its own profile only', () => {
    const clustersDir = path.join(root, 'staged', 'clusters');
    const out = path.join(temp.path, 'one');
    synthesizeCluster({ clustersDir, outdir: out, cluster: 'sh-late' });
    expect(fs.readFileSync(path.join(out, 'reviews', 'sh-late.md'), 'utf8')).toBe(
      fs.readFileSync(path.join(staged, 'reviews', 'sh-late.md'), 'utf8'),
    );
  });
});

describe('secrets in a staged cluster', () => {
  test('fail the synth at the field of the profile that holds them, before anything reaches the values file or the ApplicationSet', () => {
    const values = { hubble: { relay: { extraEnv: [{ name: 'DB_PASSWORD', value: 'hunter2' }] } } };
    let thrown: unknown;
    try {
      synth(
        {
          leaky: { ...cilium('1.18.12', '10.0.0.1', { values }), argocd: { ...ARGOCD, stage: 0 } },
          clean: { ...cilium('1.18.12', '10.0.0.2'), argocd: { ...ARGOCD, stage: 0 } },
        },
        'leak',
      );
    } catch (e) {
      thrown = e;
    }
    const errors = (thrown as ProfileError).diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => `${path.basename(d.file)} ${d.path}`)).toEqual(['leaky.yaml spec.cilium.values.hubble.relay.extraEnv[0].value']);
    expect(errors[0].message).not.toContain('hunter2');
  });
});

describe('a held stage', () => {
  test('maxUpdate 0 renders a step that syncs nothing by itself, and the review says to sync by hand', () => {
    const out = synth({
      canary: { ...ACK_TERWAY, networkPolicy: 'relay', argocd: { ...ARGOCD, stage: 0 } },
      rest: { ...ACK_TERWAY, networkPolicy: 'relay', argocd: { ...ARGOCD, stage: 1, maxUpdate: 0 } },
    });
    const set = read(out, 'argocd/ApplicationSet.netscale-stages.k8s.yaml') as ApplicationSet;
    expect(set.spec.strategy!.rollingSync!.steps.map((s) => s.maxUpdate)).toEqual(['100%', 0]);
    const review = fs.readFileSync(path.join(out, 'reviews', 'rest.md'), 'utf8');
    expect(review).toContain(
      '- stage 1: maxUpdate 0 holds it: Argo CD syncs none of its Applications by itself; sync each by hand (`argocd app sync <name>`)',
    );
    expect(fs.readFileSync(path.join(out, 'reviews', 'README.md'), 'utf8')).toContain('| 1 | 1 | 1,000 | held: by hand | [rest](rest.md) |');
  });
});

describe('checks of spec.argocd.stage and maxUpdate', () => {
  /** file:line:col of `key` in the profile text, where the value starts. */
  function at(spec: Spec, key: string): string {
    const lines = profileYaml(spec).split('\n');
    const line = lines.findIndex((l) => l.trimStart().startsWith(`${key}:`));
    return `clusters/test.yaml:${line + 1}:${lines[line].indexOf(`${key}:`) + key.length + 3}`;
  }

  test.each([
    ['fails on a stage above 9', 10, 'must be a whole number from 0 (goes first) to 9 (got 10)'],
    ['fails on a negative stage', -1, 'must be a whole number from 0 (goes first) to 9 (got -1)'],
    ['fails on a stage that is not an integer', 1.5, 'must be a whole number (got 1.5)'],
    ['fails on a stage given as a string', '1', 'must be a number (got "1")'],
  ])('%s', (_, stage, message) => {
    const spec = { ...ACK_TERWAY, networkPolicy: 'relay', argocd: { ...ARGOCD, stage } };
    expect(loadSpec(spec).errors).toEqual([`${at(spec, 'stage')} spec.argocd.stage: ${message}`]);
  });

  test.each([
    ['fails on a negative maxUpdate', -1],
    ['fails on a percentage above 100', '150%'],
    ['fails on a word', 'all'],
    ['fails on a fraction', 1.5],
  ])('%s', (_, maxUpdate) => {
    const spec = { ...ACK_TERWAY, networkPolicy: 'relay', argocd: { ...ARGOCD, stage: 1, maxUpdate } };
    expect(loadSpec(spec).errors).toEqual([
      `${at(spec, 'maxUpdate')} spec.argocd.maxUpdate: must be a number of clusters (0 or more) or a percentage from 0% to 100% such as 25% ` +
        `(got ${JSON.stringify(maxUpdate)})`,
    ]);
  });

  test.each([0, 3, '0%', '25%', '100%'])('takes maxUpdate %p', (maxUpdate) => {
    expect(loadSpec({ ...ACK_TERWAY, networkPolicy: 'relay', argocd: { ...ARGOCD, stage: 1, maxUpdate } }).errors).toEqual([]);
  });

  test('fails on maxUpdate without a stage', () => {
    const spec = { ...ACK_TERWAY, networkPolicy: 'relay', argocd: { ...ARGOCD, maxUpdate: '10%' } };
    expect(loadSpec(spec).errors).toEqual([
      `${at(spec, 'maxUpdate')} spec.argocd.maxUpdate: paces a rollout stage: set spec.argocd.stage, or remove it`,
    ]);
  });

  test('fails on a repository URL holding "{{" in a staged cluster, which Argo CD would read as a template action', () => {
    const spec = { ...ACK_TERWAY, networkPolicy: 'relay', argocd: { ...ARGOCD, repoURL: 'https://git.example.com/{{x}}.git', stage: 1 } };
    expect(loadSpec(spec).errors).toEqual([
      `${at(spec, 'repoURL')} spec.argocd.repoURL: must not contain "{{" in a staged cluster: the ApplicationSet template is a Go template, ` +
        `where "{{" starts an action`,
    ]);
    const { stage: _s, ...unstagedArgocd } = spec.argocd;
    expect(loadSpec({ ...spec, argocd: unstagedArgocd }).errors).toEqual([]);
  });

  test('fails on clusters of one stage that disagree on maxUpdate, at the field that differs', () => {
    const relay = (argocd: Spec): Spec => ({ ...ACK_TERWAY, networkPolicy: 'relay', argocd: { ...ARGOCD, ...argocd } });
    const errors = synthErrors({
      a: relay({ stage: 1, maxUpdate: '10%' }),
      b: relay({ stage: 1, maxUpdate: 2 }),
      c: relay({ stage: 1 }),
      d: relay({ stage: 2 }),
    });
    expect(errors).toEqual([
      expect.stringMatching(
        new RegExp(
          /^b\.yaml:\d+:\d+ spec\.argocd\.maxUpdate: is 2 but .*a\.yaml, also in stage 1, has "10%": /.source +
            /the clusters of a stage are one RollingSync step, so they must give the same maxUpdate$/.source,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          /^c\.yaml:\d+:\d+ spec\.argocd\.stage: puts the cluster in stage 1 with maxUpdate "100%" \(the default\) /.source +
            /but .*a\.yaml, also in stage 1, has "10%": /.source,
        ),
      ),
    ]);
  });

  test('one report lists every problem and dist/ stays as it was', () => {
    const out = synth({ ok: { ...ACK_TERWAY, networkPolicy: 'relay', argocd: { ...ARGOCD, stage: 0 } } }, 'kept');
    const before = snapshot(out);
    const clustersDir = writeFleet(
      {
        ok: { ...ACK_TERWAY, networkPolicy: 'relay', argocd: { ...ARGOCD, stage: 0 } },
        far: { ...ACK_TERWAY, networkPolicy: 'relay', argocd: { ...ARGOCD, stage: 12 } },
        odd: { ...ACK_TERWAY, networkPolicy: 'relay', argocd: { ...ARGOCD, stage: 0, maxUpdate: 1 } },
      },
      'kept',
    );
    let thrown: unknown;
    try {
      synthesizeFleet({ clustersDir, outdir: out });
    } catch (e) {
      thrown = e;
    }
    const errors = (thrown as ProfileError).diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => `${path.basename(d.file)} ${d.path}`).sort()).toEqual(['far.yaml spec.argocd.stage', 'ok.yaml spec.argocd.stage']);
    expect(snapshot(out)).toEqual(before);
  });
});

describe('StagedApplicationSet', () => {
  const props = (over: Partial<StagedApplicationSetProps> = {}): StagedApplicationSetProps => ({
    name: 'rollout',
    template: {
      metadata: { name: '{{.cluster}}' },
      spec: { project: 'default', source: { repoURL: 'https://git.example.com/f.git', path: '{{.path}}' } },
    },
    objectParameters: { 'spec.destination': 'destination' },
    elements: [
      { cluster: 'a', stage: 0, path: 'dist/a', destination: { name: 'a' } },
      { cluster: 'b', stage: 3, path: 'dist/b', destination: { name: 'b' } },
    ],
    steps: [{ stage: 0 }, { stage: 3, maxUpdate: '50%' }],
    ...over,
  });

  test('used from TypeScript, renders an ApplicationSet valid against the CRD that generates one Application per element', () => {
    const chart = testChart();
    new StagedApplicationSet(chart, 'R', props());
    const [set] = Testing.synth(chart);
    expect(validateObject(set)).toEqual([]);
    expect(generateApplications(set).map((a) => [a.metadata.name, a.metadata.labels, a.spec.destination, a.spec.source.path])).toEqual([
      ['a', { 'netscale.dev/stage': '0' }, { name: 'a' }, 'dist/a'],
      ['b', { 'netscale.dev/stage': '3' }, { name: 'b' }, 'dist/b'],
    ]);
  });

  test.each([
    ['fails on a step no element is in', { steps: [{ stage: 0 }, { stage: 1 }, { stage: 3 }] }, 'stage 1 has no element'],
    ['fails on an element no step selects', { steps: [{ stage: 0 }] }, 'no step for stage 3'],
    ['fails on steps out of order', { steps: [{ stage: 3 }, { stage: 0 }] }, 'steps must be in rising order of stage, each once (got 3, 0)'],
    [
      'fails on a bad maxUpdate',
      { steps: [{ stage: 0, maxUpdate: '120%' }, { stage: 3 }] },
      'maxUpdate of stage 0 must be a count (0 or more) or a percentage from 0% to 100% (got "120%")',
    ],
    [
      'fails on an element without a parameter the template uses',
      { elements: [{ cluster: 'a', stage: 0, destination: { name: 'a' } }], steps: [{ stage: 0 }] },
      'element 0 lacks path',
    ],
  ])('%s', (_, over, message) => {
    expect(() => new StagedApplicationSet(testChart(), 'R', props(over as Partial<StagedApplicationSetProps>))).toThrow(
      `StagedApplicationSet rollout: ${message}`,
    );
  });
});
