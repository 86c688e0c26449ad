import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { configurationHash, DaemonSetRestart, RESTART_VERBS } from '../lib/delivery/argocd/daemonset-restart';
import { DirectoryApplication } from '../lib/delivery/argocd/directory-application';
import { syncWaveOf } from '../lib/delivery/argocd/sync-waves';
import { podsPerBatch as podsPerRound } from '../lib/core/pace';
import { defaultPhase } from '../lib/core/rollout';
import { synthesizeFleet } from '../lib/output/fleet';
import { ProfileError } from '../lib/profile/diagnostics';
import { tempDirPerTest } from './support/files';
import { ACK_TERWAY, KUBEADM_CALICO, KUBEADM_CILIUM, loadSpec, profileYaml } from './support/profiles';
import { Application } from './support/applicationset';
import { getKind } from './support/kinds';
import { K8sObject, readManifests, validateObject } from './support/validate';
import { testChart } from './support/charts';
import { synthProfiles } from './support/synth';

const ARGOCD = { repoURL: 'https://git.example.com/platform/fleet.git' };

function restartObjects(configuration: string): K8sObject[] {
  const chart = testChart();
  new DaemonSetRestart(chart, 'Restart', { daemonSet: 'terway-eniip', configuration });
  return Testing.synth(chart) as K8sObject[];
}

const temp = tempDirPerTest('gitops');

const synthFleet = (profiles: Record<string, Record<string, unknown>>) => synthProfiles(temp.path, profiles);

describe('sync options of shared objects', () => {
  const options = (out: string, cluster: string) =>
    Object.fromEntries(
      readManifests(path.join(out, cluster)).map((m) => [
        `${m.object.kind}/${m.object.metadata?.name}`,
        m.object.metadata!.annotations?.['argocd.argoproj.io/sync-options'],
      ]),
    );

  test('under Argo CD, objects the platform owns too are applied server-side and never pruned or deleted; the CRD is never pruned', () => {
    const out = synthFleet({ relay: { ...ACK_TERWAY, networkPolicy: 'relay', argocd: ARGOCD } });
    expect(options(out, 'relay')).toMatchObject({
      'ConfigMap/eni-config': 'ServerSideApply=true,Prune=false,Delete=false',
      'CustomResourceDefinition/bgppeers.crd.projectcalico.org': 'Prune=false,Delete=false',
      'Deployment/calico-typha': undefined,
    });
  });

  test('on a calico.yaml install the calico-node patch is applied server-side, unvalidated, never pruned; Typha is never pruned', () => {
    const out = synthFleet({ dc: { ...KUBEADM_CALICO, networkPolicy: 'relay', calico: { install: 'manifest', version: '3.30.5' }, argocd: ARGOCD } });
    expect(options(out, 'dc')).toEqual({
      // argo-cd docs/user-guide/sync-options.md: a partial object needs ServerSideApply=true and Validate=false.
      'DaemonSet/calico-node': 'ServerSideApply=true,Prune=false,Delete=false,Validate=false',
      // Removing the relay from git must not take Typha from a calico-node still pointed at it.
      'Deployment/calico-typha': 'Prune=false,Delete=false',
      'Service/calico-typha': 'Prune=false,Delete=false',
      'PodDisruptionBudget/calico-typha': 'Prune=false,Delete=false',
    });
    const waves = Object.fromEntries(
      readManifests(path.join(out, 'dc')).map((m) => [
        `${m.object.kind}/${m.object.metadata?.name}`,
        m.object.metadata!.annotations?.['argocd.argoproj.io/sync-wave'],
      ]),
    );
    // Felix is switched only once Typha is healthy.
    expect(waves).toEqual({
      'DaemonSet/calico-node': '3',
      'Deployment/calico-typha': '2',
      'Service/calico-typha': '2',
      'PodDisruptionBudget/calico-typha': '2',
    });
  });

  test("on a calico-typha.yaml install the install's Typha is shared: server-side, never pruned", () => {
    const out = synthFleet({
      dc: { ...KUBEADM_CALICO, networkPolicy: 'relay', calico: { install: 'manifest-typha', version: '3.30.5' }, argocd: ARGOCD },
    });
    expect(options(out, 'dc')).toMatchObject({
      'Deployment/calico-typha': 'ServerSideApply=true,Prune=false,Delete=false',
      'ConfigMap/calico-config': 'ServerSideApply=true,Prune=false,Delete=false',
    });
  });

  test('without Argo CD no object carries an Argo CD annotation', () => {
    const out = synthFleet({ relay: { ...ACK_TERWAY, networkPolicy: 'relay' } });
    const annotated = readManifests(path.join(out, 'relay')).filter((m) =>
      Object.keys(m.object.metadata!.annotations ?? {}).some((k) => k.startsWith('argocd.argoproj.io/')),
    );
    expect(annotated).toEqual([]);
  });
});

describe('sync waves', () => {
  test('CRDs, then identity, then Typha, then the switch ConfigMaps', () => {
    const out = synthFleet({ relay: { ...ACK_TERWAY, networkPolicy: 'relay', argocd: ARGOCD } });
    const waves = Object.fromEntries(
      readManifests(path.join(out, 'relay')).map((m) => [
        `${m.object.kind}/${m.object.metadata?.name}`,
        m.object.metadata!.annotations?.['argocd.argoproj.io/sync-wave'],
      ]),
    );
    expect(waves).toEqual({
      'CustomResourceDefinition/bgppeers.crd.projectcalico.org': '0',
      'ServiceAccount/netscale-restart-terway-eniip': '1',
      'Role/netscale-restart-terway-eniip': '1',
      'RoleBinding/netscale-restart-terway-eniip': '1',
      'Service/calico-typha': '2',
      'Deployment/calico-typha': '2',
      'PodDisruptionBudget/calico-typha': '2',
      'ConfigMap/eni-config': '3',
      // The PostSync hook: after every sync wave, in its own hook wave.
      'Job/netscale-restart-terway-eniip': '0',
    });
  });

  test("kinds without a phase of their component's follow their kind: definitions, then identity, then the data plane", () => {
    const kinds = [
      'CustomResourceDefinition',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'Role',
      'RoleBinding',
      'Service',
      'Deployment',
      'PodDisruptionBudget',
      'HelmChart',
      'IPPool',
    ];
    expect(kinds.map((k) => syncWaveOf(defaultPhase(k)))).toEqual([0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
  });

  test('a profile that owns no eni-config key restarts nothing', () => {
    // Without networkPolicy the profile decides no eni-config key.
    const out = synthFleet({ quiet: { ...ACK_TERWAY, nodes: 80, argocd: ARGOCD } });
    expect(readManifests(path.join(out, 'quiet')).map((m) => m.object.kind)).toEqual(['ConfigMap']);
  });

  test('profiles without spec.argocd get no waves, no Job and no Argo CD objects', () => {
    const out = synthFleet({ relay: { ...ACK_TERWAY, networkPolicy: 'relay' } });
    const objects = readManifests(path.join(out, 'relay')).map((m) => m.object);
    expect(objects.map((o) => o.kind)).not.toContain('Job');
    for (const o of objects) expect(o.metadata!.annotations?.['argocd.argoproj.io/sync-wave']).toBeUndefined();
    expect(fs.existsSync(path.join(out, 'argocd'))).toBe(false);
  });
});

describe('the restart Job', () => {
  const hash = configurationHash('a');

  test('is a PostSync hook named after its DaemonSet that sets the configuration hash on the pod template, then waits for the rollout', () => {
    const job = getKind(restartObjects('a'), 'Job');
    expect(job.metadata!.name).toBe('netscale-restart-terway-eniip');
    expect(job.metadata!.annotations).toEqual({
      'argocd.argoproj.io/hook': 'PostSync',
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
    });
    expect(job.spec!.backoffLimit).toBe(2);
    expect(job.spec!.activeDeadlineSeconds).toBe(30 * 60 + 300);
    expect(job.spec!.podFailurePolicy).toBeUndefined();
    const pod = job.spec!.template.spec!;
    // Idempotent: the pods roll only when the hash differs from the one they run with, so a retry,
    // a re-run or an unrelated sync restarts nothing, and a revert restarts once.
    expect(pod.initContainers!.map((c) => c.name)).toEqual(['restart']);
    expect(pod.initContainers![0].args).toEqual([
      '--namespace',
      'kube-system',
      'patch',
      'daemonset/terway-eniip',
      '--type=strategic',
      '--patch',
      JSON.stringify({
        spec: { template: { metadata: { annotations: { 'netscale.dev/config-hash': hash }, labels: { 'netscale.dev/config-hash': hash } } } },
      }),
    ]);
    expect(pod.containers[0].args).toEqual(['--namespace', 'kube-system', 'rollout', 'status', 'daemonset/terway-eniip', '--timeout=30m']);
    expect(pod.containers[0].image).toMatch(/^registry\.k8s\.io\/kubectl:v\d+\.\d+\.\d+$/);
    expect(pod.serviceAccountName).toBe('netscale-restart-terway-eniip');
  });

  test('keeps one name per DaemonSet whatever the configuration, so BeforeHookCreation replaces the old Job; the hash moves to the patch', () => {
    const job = (configuration: string) => getKind(restartObjects(configuration), 'Job');
    const restartArgs = (configuration: string) => job(configuration).spec!.template.spec!.initContainers![0].args!;
    expect(job('a').metadata!.name).toBe(job('b').metadata!.name);
    expect(restartArgs('a')).not.toEqual(restartArgs('b'));
    expect(restartArgs('a').at(-1)).toContain(configurationHash('a'));
  });

  test('with a progress bound, fails when a pod of the new configuration is not Ready within it, and keeps waiting while pods keep rolling', () => {
    const chart = testChart();
    new DaemonSetRestart(chart, 'Restart', { daemonSet: 'calico-node', configuration: 'a', timeout: '2h', progressTimeout: '15m', wave: 1 });
    const objects = Testing.synth(chart) as K8sObject[];
    const job = getKind(objects, 'Job');
    expect(job.metadata!.annotations!['argocd.argoproj.io/sync-wave']).toBe('1');
    const pod = job.spec!.template.spec!;
    expect(pod.initContainers!.map((c) => c.name)).toEqual(['restart', 'progress']);
    expect(pod.initContainers![1].args).toEqual([
      '--namespace',
      'kube-system',
      'wait',
      '--for=condition=Ready',
      'pods',
      `--selector=netscale.dev/config-hash=${hash}`,
      '--field-selector=status.phase!=Failed,status.phase!=Succeeded',
      '--timeout=15m',
    ]);
    // One window per Job pod: the wait gives up after the bound, and a window that ends while the
    // rollout goes on is not counted; a failed progress check is, and the second one fails the Job.
    expect(pod.containers[0].args).toEqual(['--namespace', 'kube-system', 'rollout', 'status', 'daemonset/calico-node', '--timeout=15m']);
    expect(pod.restartPolicy).toBe('Never');
    expect(job.spec!.backoffLimit).toBe(1);
    expect(job.spec!.podFailurePolicy!.rules).toEqual([
      { action: 'Ignore', onExitCodes: { containerName: 'wait', operator: 'In', values: [1] }, onPodConditions: [] },
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
    ]);
    // The whole restart stays bounded by its timeout.
    expect(job.spec!.activeDeadlineSeconds).toBe(2 * 3600 + 300);
    const role = getKind(objects, 'Role');
    expect(role.rules).toEqual([
      { apiGroups: ['apps'], resources: ['daemonsets'], resourceNames: ['calico-node'], verbs: ['get', 'list', 'patch', 'watch'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
    ]);
    for (const o of objects) expect(validateObject(o)).toEqual([]);
  });

  test('fails from TypeScript on a progress bound longer than the whole restart', () => {
    expect(() => new DaemonSetRestart(testChart(), 'R', { daemonSet: 'x', configuration: 'a', timeout: '30m', progressTimeout: '1h' })).toThrow(
      'DaemonSetRestart progressTimeout (1h) must not exceed timeout (30m)',
    );
  });

  test('its Role allows only what rollout restart and status need, on that one DaemonSet', () => {
    const role = getKind(restartObjects('a'), 'Role');
    expect(role.rules).toEqual([
      { apiGroups: ['apps'], resources: ['daemonsets'], resourceNames: ['terway-eniip'], verbs: ['get', 'list', 'patch', 'watch'] },
    ]);
    expect(RESTART_VERBS).not.toContain('delete');
    const binding = getKind(restartObjects('a'), 'RoleBinding');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'netscale-restart-terway-eniip', namespace: 'kube-system' }]);
  });

  test('takes its kubectl image, timeout and progress bound from the profile', () => {
    const out = synthFleet({
      relay: {
        ...ACK_TERWAY,
        networkPolicy: 'relay',
        argocd: { ...ARGOCD, kubectlImage: 'registry.example.com/tools/kubectl:v1.27.4', restartTimeout: '1h', restartProgressTimeout: '10m' },
      },
    });
    const job = getKind(
      readManifests(path.join(out, 'relay')).map((m) => m.object),
      'Job',
    );
    const pod = job.spec!.template.spec!;
    expect(pod.containers[0].image).toBe('registry.example.com/tools/kubectl:v1.27.4');
    expect(pod.containers[0].args).toContain('--timeout=10m');
    expect(pod.initContainers![1].args).toContain('--timeout=10m');
    expect(job.spec!.activeDeadlineSeconds).toBe(3600 + 300);
  });

  test("waits twice the estimate of the DaemonSet's own rollout by default (20 seconds per batch), at least 30 minutes", () => {
    // calico-node replaces 1 pod at a time (Calico's manifests): 20 s per node, bounded at twice that.
    const calico = (nodes: number) =>
      loadSpec({ ...KUBEADM_CALICO, nodes, networkPolicy: 'relay', calico: { install: 'manifest-typha', version: '3.30.5' }, argocd: ARGOCD }).loaded!
        .cluster.argocd!.restartTimeout;
    expect([calico(40), calico(50), calico(1000), calico(5000)]).toEqual(['30m', '34m', '667m', '3334m']);
    // A restart that stops progressing fails after 15 minutes by default, well within the wait.
    expect(
      loadSpec({ ...KUBEADM_CALICO, nodes: 1000, networkPolicy: 'relay', calico: { install: 'manifest-typha', version: '3.30.5' }, argocd: ARGOCD })
        .loaded!.cluster.argocd!.restartProgressTimeout,
    ).toBe('15m');
    // terway-eniip replaces 10% of the nodes at a time (Terway's chart): ten rounds, whatever the size.
    const terway = loadSpec({ ...ACK_TERWAY, nodes: 5000, networkPolicy: 'relay', argocd: ARGOCD }).loaded!.cluster;
    expect(terway.argocd!.restartTimeout).toBe('30m');
    expect(terway.restarts[0].pace).toMatchObject({
      podsPerBatch: 500,
      batches: 10,
      estimateSeconds: 200,
      bound: '30m',
      rule: 'maxUnavailable 10%: 500 pods per batch, 10 batches',
    });
  });

  test("the review gives each restart's pace from the DaemonSet's own update strategy", () => {
    const out = synthFleet({ pace: { ...ACK_TERWAY, networkPolicy: 'relay' } });
    const review = fs.readFileSync(path.join(out, 'reviews', 'pace.md'), 'utf8');
    expect(review).toContain(
      'restart `terway-eniip` (Terway reads eni-config only when it starts), at its own maxUnavailable (10% of the nodes at a time)',
    );
    expect(podsPerRound('10%', 1000)).toBe(100);
    expect(podsPerRound('10%', 5)).toBe(1);
    expect(podsPerRound('1', 1000)).toBe(1);
    expect(podsPerRound(undefined, 1000)).toBe(1);
  });

  test('restarts several DaemonSets one after the other, in hook waves, in the order the review gives', () => {
    const out = synthFleet({
      dc: {
        ...KUBEADM_CALICO,
        networkPolicy: 'relay',
        calico: { install: 'manifest-typha', version: '3.30.5' },
        kubeProxy: { scheduler: 'lc' },
        argocd: ARGOCD,
      },
    });
    const jobs = readManifests(path.join(out, 'dc'))
      .filter((m) => m.object.kind === 'Job')
      .map((m) => m.object);
    const wave = (j: K8sObject) => j.metadata!.annotations!['argocd.argoproj.io/sync-wave'];
    const order = jobs.sort((a, b) => Number(wave(a)) - Number(wave(b))).map((j) => [wave(j), j.metadata!.name]);
    expect(order).toEqual([
      ['0', 'netscale-restart-kube-proxy'],
      ['1', 'netscale-restart-calico-node'],
    ]);
    const review = fs.readFileSync(path.join(out, 'reviews', 'dc.md'), 'utf8');
    expect(review).toContain('1. hook wave 0: Job `netscale-restart-kube-proxy` restarts `ds/kube-proxy`');
    expect(review).toContain('2. hook wave 1: Job `netscale-restart-calico-node` restarts `ds/calico-node`');
    expect(review.indexOf('hook wave 0')).toBeLessThan(review.indexOf('hook wave 1'));
  });

  test('the review documents terminate-op for an emergency revert', () => {
    const out = synthFleet({ relay: { ...ACK_TERWAY, networkPolicy: 'relay', argocd: ARGOCD } });
    const review = fs.readFileSync(path.join(out, 'reviews', 'relay.md'), 'utf8');
    expect(review).toContain('`argocd app terminate-op relay` ends the running operation and deletes its running restart Job');
    expect(review).toContain('It fails when a pod of the new configuration is not Ready within 15m');
  });

  test('before Kubernetes 1.26 there is no progress bound (no pod failure policies), and the profile is told so', () => {
    const { loaded, warnings } = loadSpec({
      ...ACK_TERWAY,
      kubernetesVersion: '1.25',
      networkPolicy: 'relay',
      argocd: { ...ARGOCD, kubectlImage: 'registry.example.com/tools/kubectl:v1.25.16' },
    });
    expect(loaded!.cluster.argocd!.restartProgressTimeout).toBeUndefined();
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /spec\.argocd: Kubernetes 1\.25 has no Job pod failure policies .* holds the sync for the whole restartTimeout \(30m\)/,
        ),
      ]),
    );
  });

  test.each([
    [
      'fails on a kubectl image tagged latest',
      { kubectlImage: 'registry.k8s.io/kubectl:latest' },
      'spec.argocd.kubectlImage: must not use the tag "latest": pin a version',
    ],
    [
      'fails on a restart timeout with fractions',
      { restartTimeout: '1.5h' },
      'spec.argocd.restartTimeout: must be whole hours, minutes and seconds such as 30m or 1h30m (got "1.5h")',
    ],
    ['fails on a zero restart timeout', { restartTimeout: '0s' }, 'spec.argocd.restartTimeout: must be longer than zero (got "0s")'],
    [
      'fails on a restart timeout above the longest bound a rollout gets',
      { restartTimeout: '168h1s' },
      'spec.argocd.restartTimeout: must be at most 168h: a rollout that takes longer needs a larger maxUnavailable (got "168h1s")',
    ],
    ['fails on a zero progress bound', { restartProgressTimeout: '0m' }, 'spec.argocd.restartProgressTimeout: must be longer than zero (got "0m")'],
    [
      'fails on a progress bound longer than the restart',
      { restartTimeout: '30m', restartProgressTimeout: '45m' },
      'spec.argocd.restartProgressTimeout: 45m is longer than restartTimeout (30m), which bounds the whole restart',
    ],
  ])('%s', (_, extra, message) => {
    expect(loadSpec({ ...ACK_TERWAY, networkPolicy: 'relay', argocd: { ...ARGOCD, ...extra } }).errors).toEqual([expect.stringContaining(message)]);
  });

  test('fails on a progress bound given for a cluster older than 1.26', () => {
    const { errors } = loadSpec({
      ...ACK_TERWAY,
      kubernetesVersion: '1.25',
      networkPolicy: 'relay',
      argocd: { ...ARGOCD, kubectlImage: 'registry.example.com/tools/kubectl:v1.25.16', restartProgressTimeout: '10m' },
    });
    expect(errors).toEqual([expect.stringContaining('spec.argocd.restartProgressTimeout: needs Kubernetes 1.26 or newer')]);
  });

  test('every object is valid against its schema', () => {
    for (const o of restartObjects('a')) expect(validateObject(o)).toEqual([]);
  });
});

describe("the restart Job's kubectl image", () => {
  const image = (spec: Record<string, unknown>) => loadSpec({ ...spec, argocd: { ...ARGOCD, ...(spec.argocd as object) } });
  const calico = (kubernetesVersion: string, argocd: Record<string, unknown> = {}) =>
    image({ ...KUBEADM_CALICO, kubernetesVersion, networkPolicy: 'relay', calico: { install: 'manifest-typha', version: '3.30.5' }, argocd });

  test("defaults to the registry.k8s.io/kubectl of the cluster's minor, or one away where there is none", () => {
    expect(['1.27', '1.28', '1.31', '1.34.2', '1.36'].map((v) => calico(v).loaded!.cluster.argocd!.kubectlImage)).toEqual([
      'registry.k8s.io/kubectl:v1.28.15',
      'registry.k8s.io/kubectl:v1.28.15',
      'registry.k8s.io/kubectl:v1.31.5',
      'registry.k8s.io/kubectl:v1.34.7',
      'registry.k8s.io/kubectl:v1.35.3',
    ]);
  });

  test('fails on a kubectl more than one minor away from kubernetesVersion', () => {
    expect(calico('1.31', { kubectlImage: 'registry.k8s.io/kubectl:v1.28.15' }).errors).toEqual([
      expect.stringContaining(
        'spec.argocd.kubectlImage: registry.k8s.io/kubectl:v1.28.15 is kubectl 1.28, more than one minor away from Kubernetes 1.31, which ' +
          'kubectl does not support: use kubectl 1.30 to 1.32, e.g. registry.k8s.io/kubectl:v1.31.5',
      ),
    ]);
    expect(calico('1.31', { kubectlImage: 'registry.example.com/kubectl:1.32.1' }).errors).toEqual([]);
  });

  test('fails where no registry.k8s.io/kubectl is within one minor and the profile names none', () => {
    expect(calico('1.25').errors).toEqual([
      expect.stringContaining(
        'spec.argocd: no registry.k8s.io/kubectl image is within one minor of Kubernetes 1.25 (the image starts at v1.28): set ' +
          'spec.argocd.kubectlImage',
      ),
    ]);
  });

  test('warns when the version cannot be read from the image', () => {
    const digest = `registry.example.com/kubectl@sha256:${'0f'.repeat(32)}`;
    expect(calico('1.29', { kubectlImage: digest }).warnings).toEqual(
      expect.arrayContaining([expect.stringContaining(`spec.argocd.kubectlImage: ${digest} names no version netscale can read`)]),
    );
  });

  test('on ACK in mainland China, warns about registry.k8s.io and suggests a registry the VPC reaches', () => {
    const { warnings } = image({ ...ACK_TERWAY, region: 'cn-hangzhou', networkPolicy: 'relay' });
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          'spec.argocd: registry.k8s.io/kubectl:v1.28.15 comes from registry.k8s.io, which nodes in cn-hangzhou often cannot reach: copy the ' +
            'image into your Container Registry and set spec.argocd.kubectlImage, e.g. ' +
            'registry-vpc.cn-hangzhou.aliyuncs.com/<namespace>/kubectl:v1.28.15',
        ),
      ]),
    );
    const mirrored = image({
      ...ACK_TERWAY,
      region: 'cn-hangzhou',
      networkPolicy: 'relay',
      argocd: { kubectlImage: 'registry-vpc.cn-hangzhou.aliyuncs.com/ops/kubectl:v1.28.15' },
    });
    expect(mirrored.warnings.filter((w) => w.includes('registry.k8s.io'))).toEqual([]);
    expect(image({ ...ACK_TERWAY, region: 'cn-hongkong', networkPolicy: 'relay' }).warnings.filter((w) => w.includes('registry.k8s.io'))).toEqual([]);
  });

  test('is not checked when no restart Job is rendered', () => {
    expect(image({ ...KUBEADM_CALICO, kubernetesVersion: '1.25', networkPolicy: 'direct' }).errors).toEqual([]);
  });
});

describe('Argo CD Applications', () => {
  test('one per cluster, the Cilium ones, and a root that syncs dist/argocd, all valid against the CRD', () => {
    const cilium = KUBEADM_CILIUM;
    const out = synthFleet({
      alpha: { ...ACK_TERWAY, networkPolicy: 'relay', argocd: ARGOCD },
      beta: { ...ACK_TERWAY, networkPolicy: 'disabled', argocd: { ...ARGOCD, destination: { name: 'beta' } } },
      gamma: { ...cilium, argocd: { ...ARGOCD, destination: { server: 'https://gamma.example.com:6443' } } },
      delta: { ...ACK_TERWAY, networkPolicy: 'disabled' },
    });
    const apps = readManifests(path.join(out, 'argocd')).map((m) => m.object as Application);
    for (const a of apps) expect(validateObject(a)).toEqual([]);
    expect(apps.map((a) => a.metadata.name).sort()).toEqual(['alpha', 'beta', 'gamma-cilium', 'netscale-fleet']);
    const root = getKind(apps, 'Application', 'netscale-fleet');
    expect(root.spec.source).toEqual({ repoURL: ARGOCD.repoURL, targetRevision: 'main', path: 'dist/argocd', directory: { recurse: false } });
    const alpha = getKind(apps, 'Application', 'alpha');
    expect(alpha.metadata.namespace).toBe('argocd');
    expect(alpha.spec.source.path).toBe('dist/alpha');
    expect(alpha.spec.destination).toEqual({ server: 'https://kubernetes.default.svc' });
    expect(alpha.metadata.finalizers).toBeUndefined();
    expect(getKind(apps, 'Application', 'beta').spec.destination).toEqual({ name: 'beta' });
    const gamma = getKind(apps, 'Application', 'gamma-cilium');
    expect(gamma.spec.destination).toEqual({ server: 'https://gamma.example.com:6443', namespace: 'kube-system' });
    expect(gamma.spec.source).toMatchObject({ repoURL: 'https://helm.cilium.io/', chart: 'cilium', targetRevision: '1.18.12' });
    // The app-of-apps tree covers every Argo CD cluster exactly once, and the root itself.
    const paths = apps
      .filter((a) => a.spec.source.path)
      .map((a) => a.spec.source.path)
      .sort();
    expect(paths).toEqual(['dist/alpha', 'dist/argocd', 'dist/beta']);
  });

  test('fails on profiles that disagree on the repository the root syncs', () => {
    let thrown: unknown;
    try {
      synthFleet({
        a: { ...ACK_TERWAY, networkPolicy: 'disabled', argocd: ARGOCD },
        b: { ...ACK_TERWAY, networkPolicy: 'disabled', argocd: { repoURL: 'https://other.example.com/x.git' } },
      });
    } catch (e) {
      thrown = e;
    }
    expect((thrown as ProfileError).diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.path}: ${d.message}`)).toEqual([
      expect.stringMatching(
        new RegExp(
          /^spec\.argocd\.repoURL: is "https:\/\/other\.example\.com\/x\.git" but .*a\.yaml /.source +
            /has "https:\/\/git\.example\.com\/platform\/fleet\.git": one root Application syncs dist\/argocd\/ for the whole fleet/.source,
        ),
      ),
    ]);
  });

  test.each([
    ['fails on argocd without repoURL', { argocd: {} }, 'spec.argocd.repoURL: is required'],
    [
      'fails on a destination with both server and name',
      { argocd: { ...ARGOCD, destination: { server: 'https://k.example.com', name: 'k' } } },
      'spec.argocd.destination: takes a server URL or a cluster name, not both',
    ],
    [
      'fails on a destination server that is not a URL',
      { argocd: { ...ARGOCD, destination: { server: 'k.example.com' } } },
      'spec.argocd.destination.server: must be an https:// API server URL',
    ],
  ])('%s', (_, extra, message) => {
    expect(loadSpec({ ...ACK_TERWAY, networkPolicy: 'disabled', ...extra }).errors).toEqual([expect.stringContaining(message)]);
  });

  test.each(['argocd', 'reviews', 'values', 'netscale-fleet'])('fails on a cluster named %s, a folder or Application netscale keeps', (name) => {
    const clusters = path.join(temp.path, 'c');
    fs.mkdirSync(clusters);
    fs.writeFileSync(path.join(clusters, 'x.yaml'), profileYaml({ ...ACK_TERWAY, networkPolicy: 'disabled' }, name));
    expect(() => synthesizeFleet({ clustersDir: clusters, outdir: path.join(temp.path, 'd') })).toThrow(
      `metadata.name: "${name}" names a folder netscale keeps in dist/`,
    );
  });

  test('fails from TypeScript on a destination with both server and name', () => {
    expect(
      () => new DirectoryApplication(testChart(), 'A', { name: 'a', path: 'dist/a', repoURL: 'r', destination: { server: 's', name: 'n' } }),
    ).toThrow('destination takes a server or a name, not both');
  });
});
