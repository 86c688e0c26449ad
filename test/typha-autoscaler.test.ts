/**
 * Typha that follows the node count: the cluster-proportional-autoscaler with a ladder from the
 * static sizing rule, least-privilege RBAC, and a Typha Deployment that Argo CD no longer scales.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { controllerOwnedFieldsOf } from '../lib/core/rollout';
import { TYPHA_AUTOSCALER_IMAGE } from '../lib/components/typha/facts';
import { ladderReplicas, typhaLadder, typhaReplicas } from '../lib/components/typha/sizing';
import { TyphaAutoscaler } from '../lib/components/typha/typha-autoscaler';
import { TyphaRelay } from '../lib/components/typha/typha-relay';
import { tempDirPerTest } from './support/files';
import { findKind, getKind } from './support/kinds';
import { ACK_TERWAY, CALICO_INSTALL, KUBEADM_CALICO, loadSpec, Spec } from './support/profiles';
import { K8sObject, readManifests, validateObject } from './support/validate';
import { testChart } from './support/charts';
import { synthProfiles } from './support/synth';

const temp = tempDirPerTest('autoscale');

const synthFleet = (profiles: Record<string, Spec>) => synthProfiles(temp.path, profiles);

const objectsIn = (dir: string) => readManifests(dir).map((m) => m.object);
const ARGOCD = { repoURL: 'https://git.example.com/platform/fleet.git' };
const AUTOSCALED: Spec = { ...KUBEADM_CALICO, nodes: 1000, networkPolicy: 'relay', calico: CALICO_INSTALL, typha: { autoscale: true } };

describe('the ladder', () => {
  test.each([
    ['the defaults', {}],
    ['100 nodes per replica, 2 to 7', { nodesPerReplica: 100, minReplicas: 2, maxReplicas: 7 }],
    ['1 node per replica, 3 to 10', { nodesPerReplica: 1, minReplicas: 3, maxReplicas: 10 }],
    ['500 nodes per replica, 5 to 5', { nodesPerReplica: 500, minReplicas: 5, maxReplicas: 5 }],
  ])('with %s it gives the static rule at every node count, kept below the nodes and at least 1', (_, rule) => {
    const ladder = typhaLadder(rule);
    const mismatches: number[] = [];
    for (let nodes = 1; nodes <= 6000; nodes++) {
      const expected = Math.max(1, Math.min(typhaReplicas({ nodes, ...rule }).replicas, nodes - 1));
      if (ladderReplicas(ladder, nodes) !== expected) mismatches.push(nodes);
    }
    expect(mismatches).toEqual([]);
  });

  test('lists only the node counts where the count changes, in order', () => {
    const ladder = typhaLadder();
    expect(ladder.slice(0, 5)).toEqual([
      { nodes: 1, replicas: 1 },
      { nodes: 3, replicas: 2 },
      { nodes: 4, replicas: 3 },
      { nodes: 601, replicas: 4 },
      { nodes: 801, replicas: 5 },
    ]);
    expect(ladder[ladder.length - 1]).toEqual({ nodes: 3801, replicas: 20 });
    expect(ladder).toHaveLength(20);
  });
});

describe('TyphaAutoscaler', () => {
  const synth = (props: ConstructorParameters<typeof TyphaAutoscaler>[2]) => {
    const chart = testChart();
    new TyphaAutoscaler(chart, 'Autoscaler', props);
    return Testing.synth(chart) as K8sObject[];
  };

  test('renders its Deployment, its ConfigMap and its RBAC, all valid', () => {
    const objects = synth({ ladder: typhaLadder() });
    expect(objects.map((o) => `${o.kind}/${o.metadata?.name}`).sort()).toEqual([
      'ClusterRole/calico-typha-autoscaler',
      'ClusterRoleBinding/calico-typha-autoscaler',
      'ConfigMap/calico-typha-autoscaler',
      'Deployment/calico-typha-autoscaler',
      'Role/calico-typha-autoscaler',
      'RoleBinding/calico-typha-autoscaler',
      'ServiceAccount/calico-typha-autoscaler',
    ]);
    for (const o of objects) expect(validateObject(o)).toEqual([]);
  });

  test('the ConfigMap holds only the ladder, as the autoscaler reads it, counting cordoned nodes too', () => {
    const cm = getKind(
      synth({
        ladder: [
          { nodes: 1, replicas: 1 },
          { nodes: 4, replicas: 3 },
        ],
      }),
      'ConfigMap',
      'calico-typha-autoscaler',
    );
    expect(Object.keys(cm.data!)).toEqual(['ladder']);
    expect(JSON.parse(cm.data!.ladder)).toEqual({
      nodesToReplicas: [
        [1, 1],
        [4, 3],
      ],
      includeUnschedulableNodes: true,
    });
  });

  test('may list and watch nodes, read its own ConfigMap and scale Typha, nothing else', () => {
    const objects = synth({ ladder: typhaLadder() });
    expect(getKind(objects, 'ClusterRole', 'calico-typha-autoscaler').rules).toEqual([
      { apiGroups: [''], resources: ['nodes'], verbs: ['list', 'watch'] },
    ]);
    expect(getKind(objects, 'Role', 'calico-typha-autoscaler').rules).toEqual([
      { apiGroups: ['apps'], resources: ['deployments/scale'], resourceNames: ['calico-typha'], verbs: ['get', 'update'] },
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['calico-typha-autoscaler'], verbs: ['get'] },
    ]);
    for (const binding of ['ClusterRoleBinding', 'RoleBinding'] as const) {
      expect(getKind(objects, binding, 'calico-typha-autoscaler').subjects).toEqual([
        { kind: 'ServiceAccount', name: 'calico-typha-autoscaler', namespace: 'kube-system' },
      ]);
    }
  });

  test("runs the pinned image in ladder mode against Typha's Deployment, without root", () => {
    const deployment = getKind(synth({ ladder: typhaLadder() }), 'Deployment', 'calico-typha-autoscaler');
    const pod = deployment.spec!.template.spec!;
    expect(pod.serviceAccountName).toBe('calico-typha-autoscaler');
    expect(pod.containers[0].image).toBe(TYPHA_AUTOSCALER_IMAGE);
    expect(TYPHA_AUTOSCALER_IMAGE).toMatch(/:v\d+\.\d+\.\d+$/);
    expect(pod.containers[0].command).toEqual([
      '/cluster-proportional-autoscaler',
      '--namespace=kube-system',
      '--configmap=calico-typha-autoscaler',
      '--target=deployment/calico-typha',
      '--logtostderr=true',
      '--v=2',
    ]);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers[0].securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.containers[0].livenessProbe!.httpGet).toEqual({ path: '/healthz', port: 8080 });
  });

  test('fails on a ladder without steps, one that goes down in nodes, or a step of 0 replicas', () => {
    expect(() => synth({ ladder: [] })).toThrow('TyphaAutoscaler: ladder: needs at least one step');
    expect(() =>
      synth({
        ladder: [
          { nodes: 4, replicas: 3 },
          { nodes: 4, replicas: 0 },
        ],
      }),
    ).toThrow(
      'TyphaAutoscaler: ladder[1].replicas: must be a whole number of at least 1 (got 0): Felix waits for a Typha; ladder[1].nodes: must be ' +
        'above the step before (4): steps go up in node count',
    );
  });

  test("TyphaRelay with autoscale renders it, and marks its Deployment's replicas as the autoscaler's", () => {
    const chart = testChart();
    const relay = new TyphaRelay(chart, 'Typha', { replicas: 5, autoscale: { ladder: typhaLadder() } });
    expect(relay.autoscaler).toBeDefined();
    expect(controllerOwnedFieldsOf(relay.deployment)).toEqual(['/spec/replicas']);
    expect(controllerOwnedFieldsOf(new TyphaRelay(testChart(), 'Fixed', { replicas: 5 }).deployment)).toEqual([]);
    const objects = Testing.synth(chart) as K8sObject[];
    expect(getKind(objects, 'Deployment', 'calico-typha').spec!.replicas).toBe(5);
    expect(findKind(objects, 'Deployment', 'calico-typha-autoscaler')).toBeDefined();
  });
});

describe('spec.typha.autoscale', () => {
  test('Typha starts at the static count and the autoscaler gets the ladder of the same rule', () => {
    const out = synthFleet({ scaled: AUTOSCALED });
    const objects = objectsIn(path.join(out, 'scaled'));
    expect(getKind(objects, 'Deployment', 'calico-typha').spec!.replicas).toBe(typhaReplicas({ nodes: 1000 }).replicas);
    const ladder = JSON.parse(getKind(objects, 'ConfigMap', 'calico-typha-autoscaler').data!.ladder);
    expect(ladder.nodesToReplicas).toEqual(typhaLadder().map((s) => [s.nodes, s.replicas]));
    for (const o of objects) expect(validateObject(o)).toEqual([]);
  });

  test("the ladder follows the profile's nodesPerReplica, minReplicas and maxReplicas", () => {
    const out = synthFleet({ scaled: { ...AUTOSCALED, typha: { autoscale: true, nodesPerReplica: 100, minReplicas: 4, maxReplicas: 12 } } });
    const ladder = JSON.parse(getKind(objectsIn(path.join(out, 'scaled')), 'ConfigMap', 'calico-typha-autoscaler').data!.ladder);
    expect(ladder.nodesToReplicas).toEqual(typhaLadder({ nodesPerReplica: 100, minReplicas: 4, maxReplicas: 12 }).map((s) => [s.nodes, s.replicas]));
    expect(ladder.nodesToReplicas[ladder.nodesToReplicas.length - 1]).toEqual([1101, 12]);
  });

  test("under Argo CD, the cluster's Application ignores Typha's replicas and respects that on sync", () => {
    const out = synthFleet({
      scaled: { ...AUTOSCALED, argocd: ARGOCD },
      fixed: { ...KUBEADM_CALICO, networkPolicy: 'relay', calico: CALICO_INSTALL, argocd: ARGOCD },
    });
    const apps = objectsIn(path.join(out, 'argocd'));
    const scaled = getKind(apps, 'Application', 'scaled');
    expect(scaled.spec.ignoreDifferences).toEqual([
      { group: 'apps', kind: 'Deployment', name: 'calico-typha', namespace: 'kube-system', jsonPointers: ['/spec/replicas'] },
    ]);
    expect(scaled.spec.syncPolicy!.syncOptions).toEqual(['PruneLast=true', 'RespectIgnoreDifferences=true']);
    const fixed = getKind(apps, 'Application', 'fixed');
    expect(fixed.spec.ignoreDifferences).toBeUndefined();
    expect(fixed.spec.syncPolicy!.syncOptions).toEqual(['PruneLast=true']);
    for (const o of apps) expect(validateObject(o)).toEqual([]);
    // The autoscaler comes up with Typha, after its RBAC.
    const waves = Object.fromEntries(
      objectsIn(path.join(out, 'scaled')).map((o) => [`${o.kind}/${o.metadata?.name}`, o.metadata!.annotations!['argocd.argoproj.io/sync-wave']]),
    );
    expect(waves).toMatchObject({
      'Role/calico-typha-autoscaler': '1',
      'ConfigMap/calico-typha-autoscaler': '2',
      'Deployment/calico-typha-autoscaler': '2',
      'Deployment/calico-typha': '2',
    });
  });

  test('the review shows the ladder as a table and the node counts where it changes', () => {
    const out = synthFleet({ scaled: AUTOSCALED });
    const review = fs.readFileSync(path.join(out, 'reviews', 'scaled.md'), 'utf8');
    const section = review.slice(review.indexOf('## Typha autoscaling'), review.indexOf('## Warnings'));
    expect(section).toContain(
      'The count changes at 3, 4, 601, 801, 1,001, 1,201, 1,401, 1,601, 1,801, 2,001, 2,201, 2,401, 2,601, 2,801, 3,001, 3,201, 3,401, 3,601, ' +
        '3,801 nodes.',
    );
    expect(section).toContain(
      '| nodes | Typha replicas |\n| --- | ---: |\n| 1-2 | 1 |\n| 3 | 2 |\n| 4-600 | 3 |\n| 601-800 | 4 |\n| 801-1,000 (spec.nodes: 1,000) | ' +
        '5 |\n| 1,001-1,200 | 6 |',
    );
    expect(section).toContain('| 3,801 and more | 20 |');
  });

  test('without Argo CD the rollout says a later apply puts the static count back until the next poll', () => {
    const out = synthFleet({ scaled: AUTOSCALED });
    const review = fs.readFileSync(path.join(out, 'reviews', 'scaled.md'), 'utf8');
    expect(review).toContain(
      "From here on Typha's replica count is the autoscaler's, set from the live node count every 10 s. A later apply of " +
        '`Deployment.calico-typha.k8s.yaml` puts 5 back',
    );
  });

  test('fails with an explicit replica count, and on autoscalerImage without autoscale', () => {
    expect(loadSpec({ ...AUTOSCALED, typha: { autoscale: true, replicas: 6 } }).errors).toEqual([
      expect.stringContaining(
        'spec.typha.autoscale: and replicas (6) exclude each other: the autoscaler sets the count from the live node count with ' +
          'nodesPerReplica, minReplicas and maxReplicas; remove replicas or autoscale',
      ),
    ]);
    expect(loadSpec({ ...AUTOSCALED, typha: { autoscalerImage: 'registry.example.com/cpa:v1.9.0' } }).errors).toEqual([
      expect.stringContaining('spec.typha.autoscalerImage: applies with autoscale: true only: set autoscale or remove autoscalerImage'),
    ]);
    expect(
      loadSpec({ ...AUTOSCALED, typha: { autoscale: true, autoscalerImage: 'registry.k8s.io/cpa/cluster-proportional-autoscaler:latest' } }).errors,
    ).toEqual([expect.stringContaining('spec.typha.autoscalerImage: must not use the tag "latest": pin a version')]);
  });

  test('on ACK the image can be a mirror the VPC reaches; without one the review asks to check the pull', () => {
    const mirrored = loadSpec({
      ...ACK_TERWAY,
      networkPolicy: 'relay',
      typha: { autoscale: true, autoscalerImage: 'registry-vpc.cn-shanghai.aliyuncs.com/mirror/cpa:v1.9.0' },
    });
    expect(mirrored.loaded!.cluster.typha!.autoscale!.image).toBe('registry-vpc.cn-shanghai.aliyuncs.com/mirror/cpa:v1.9.0');
    const upstream = loadSpec({ ...ACK_TERWAY, networkPolicy: 'relay', typha: { autoscale: true } });
    expect(upstream.loaded!.cluster.steps).toEqual(
      expect.arrayContaining([expect.stringContaining('registry.k8s.io may be out of reach from an ACK VPC in mainland China')]),
    );
  });
});
