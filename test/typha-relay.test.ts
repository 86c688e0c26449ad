import { ApiObject, Testing } from 'cdk8s';
import { typhaComponent } from '../lib/components/typha/component';
import { ackTyphaImage, UPSTREAM_TYPHA_IMAGE } from '../lib/components/typha/facts';
import { typhaClusterRoleRules } from '../lib/components/typha/releases';
import { operatorTyphaReplicas, typhaReplicas } from '../lib/components/typha/sizing';
import { TyphaRelay } from '../lib/components/typha/typha-relay';
import { ownershipOf } from '../lib/core/rollout';
import { getKind } from './support/kinds';
import { ACK_TERWAY, KUBEADM_CALICO, loadSpec } from './support/profiles';
import { K8sObject, validateObject } from './support/validate';
import { testChart } from './support/charts';

function synth(props: ConstructorParameters<typeof TyphaRelay>[2] = {}): K8sObject[] {
  const chart = testChart();
  new TyphaRelay(chart, 'Typha', props);
  return Testing.synth(chart) as K8sObject[];
}

describe('Typha sizing', () => {
  // ACK: one replica per 200 nodes, at least 3; Calico: at most 20, fewer than nodes.
  test.each([
    [100, 3, false],
    [200, 3, false],
    [201, 3, false],
    [600, 3, false],
    [601, 4, false],
    [1000, 5, false],
    [4000, 20, false],
    [5000, 20, true],
  ])('%i nodes give %i replicas (capped: %s)', (nodes, replicas, capped) => {
    const s = typhaReplicas({ nodes });
    expect(s.replicas).toBe(replicas);
    expect(s.capped).toBe(capped);
    expect(s.errors).toEqual([]);
  });

  test('the rule is spelled out with its inputs', () => {
    expect(typhaReplicas({ nodes: 1000 }).decision.rule).toBe('min(20, max(3, ceil(1000 / 200))) = 5');
  });

  test('fails on 2 nodes: 3 replicas are not fewer than the nodes', () => {
    const s = typhaReplicas({ nodes: 2 });
    expect(s.replicas).toBe(3);
    expect(s.errors).toEqual([
      expect.stringContaining(
        "3 Typha replicas on 2 nodes: replicas must be fewer than nodes, or a drained node's replica has no free node to move to",
      ),
    ]);
    expect(typhaReplicas({ nodes: 1 }).errors).toEqual([expect.stringMatching(/on 1 node: .*; use networkPolicy: direct/)]);
  });

  test('an explicit count overrides the rule and passes the same checks', () => {
    expect(typhaReplicas({ nodes: 1000, replicas: 8 }).replicas).toBe(8);
    expect(typhaReplicas({ nodes: 1000, replicas: 25 }).errors).toEqual([
      'replicas (25) exceeds maxReplicas (20): raise maxReplicas as well if you mean it',
    ]);
    expect(typhaReplicas({ nodes: 5, replicas: 5 }).errors).toEqual([expect.stringContaining('5 Typha replicas on 5 nodes')]);
  });

  test('fails when minReplicas exceeds maxReplicas', () => {
    expect(typhaReplicas({ nodes: 1000, minReplicas: 6, maxReplicas: 4 }).errors).toEqual(['minReplicas (6) must not exceed maxReplicas (4)']);
  });

  test('the profile warns when the count is capped, and fails on 2 nodes', () => {
    const capped = loadSpec({ ...ACK_TERWAY, nodes: 5000, networkPolicy: 'relay' });
    expect(capped.warnings).toEqual([
      expect.stringContaining('spec.nodes: 5000 nodes ask for 25 Typha replicas; capped at maxReplicas 20 (250 nodes per replica)'),
    ]);
    const tiny = loadSpec({ ...ACK_TERWAY, nodes: 2, networkPolicy: 'relay' });
    expect(tiny.errors).toEqual([expect.stringContaining('spec.typha: 3 Typha replicas on 2 nodes')]);
    const explicit = loadSpec({ ...ACK_TERWAY, nodes: 2, networkPolicy: 'relay', typha: { replicas: 2 } });
    expect(explicit.errors).toEqual([expect.stringContaining('spec.typha.replicas: 2 Typha replicas on 2 nodes')]);
  });
});

describe('TyphaRelay', () => {
  test('emits Service, Deployment and PDB in kube-system, plus its RBAC by default', () => {
    const objects = synth({ replicas: 5 });
    expect(objects.map((o) => `${o.kind}/${o.metadata?.name}`).sort()).toEqual([
      'ClusterRole/calico-typha',
      'ClusterRoleBinding/calico-typha',
      'Deployment/calico-typha',
      'PodDisruptionBudget/calico-typha',
      'Service/calico-typha',
      'ServiceAccount/calico-typha',
    ]);
    for (const o of objects.filter((o) => !o.kind.startsWith('Cluster'))) expect(o.metadata?.namespace).toBe('kube-system');
    for (const o of objects) expect(validateObject(o)).toEqual([]);
  });

  test('the Service listens on 5473 with the named port Felix expects', () => {
    const svc = getKind(synth(), 'Service');
    expect(svc.spec).toEqual({
      selector: { 'k8s-app': 'calico-typha' },
      ports: [{ name: 'calico-typha', port: 5473, protocol: 'TCP', targetPort: 'calico-typha' }],
    });
  });

  test('the Deployment runs Typha as the seeds and Calico require', () => {
    const dep = getKind(synth({ replicas: 5 }), 'Deployment');
    expect(dep.spec!.progressDeadlineSeconds).toBe(600);
    expect(getKind(synth({ shutdownTimeoutSeconds: 900 }), 'Deployment').spec!.progressDeadlineSeconds).toBe(1080);
    const pod = dep.spec!.template.spec!;
    const c = pod.containers[0];
    expect(dep.spec!.replicas).toBe(5);
    // Calico's calico-typha.yaml: a whole new set starts beside the old, so connections move old -> new directly.
    expect(dep.spec!.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '100%', maxUnavailable: 1 } });
    expect(pod.affinity!.nodeAffinity).toBeUndefined();
    expect(pod.hostNetwork).toBe(true);
    expect(pod.priorityClassName).toBe('system-cluster-critical');
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(pod.tolerations).toContainEqual({ key: 'CriticalAddonsOnly', operator: 'Exists' });
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(pod.serviceAccountName).toBe('calico-typha');
    expect(pod.affinity!.podAntiAffinity!.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      { labelSelector: { matchLabels: { 'k8s-app': 'calico-typha' } }, topologyKey: 'kubernetes.io/hostname' },
    ]);
    expect(pod.topologySpreadConstraints![0]).toMatchObject({ topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.image).toBe(UPSTREAM_TYPHA_IMAGE);
    expect(c.securityContext).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.resources!.requests).toEqual({ cpu: '250m', memory: '256Mi' });
    expect(c.livenessProbe!.httpGet).toEqual({ path: '/liveness', port: 9098, host: 'localhost' });
    expect(c.readinessProbe!.httpGet).toEqual({ path: '/readiness', port: 9098, host: 'localhost' });
    expect(Object.fromEntries(c.env!.map((e) => [e.name, e.value]))).toEqual({
      TYPHA_LOGSEVERITYSCREEN: 'info',
      TYPHA_LOGFILEPATH: 'none',
      TYPHA_LOGSEVERITYSYS: 'none',
      TYPHA_CONNECTIONREBALANCINGMODE: 'kubernetes',
      TYPHA_DATASTORETYPE: 'kubernetes',
      TYPHA_HEALTHENABLED: 'true',
      TYPHA_HEALTHPORT: '9098',
      TYPHA_K8SNAMESPACE: 'kube-system',
      TYPHA_SHUTDOWNTIMEOUTSECS: '300',
    });
    expect(pod.terminationGracePeriodSeconds).toBe(300);
  });

  test('the PDB is policy/v1 with one replica down at most', () => {
    const pdb = getKind(synth(), 'PodDisruptionBudget');
    expect(pdb.apiVersion).toBe('policy/v1');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { 'k8s-app': 'calico-typha' } } });
  });

  test('the ClusterRole carries the rules Typha needs and is bound to its account', () => {
    const objects = synth({ namespace: 'calico-system' });
    const rules = getKind(objects, 'ClusterRole').rules!;
    const verbsOn = (resource: string) => rules.filter((r) => r.resources?.includes(resource)).flatMap((r) => r.verbs);
    expect(verbsOn('bgppeers')).toEqual(expect.arrayContaining(['list', 'watch']));
    expect(verbsOn('nodes')).toEqual(expect.arrayContaining(['get', 'list', 'watch']));
    expect(verbsOn('endpointslices')).toEqual(expect.arrayContaining(['list', 'watch']));
    expect(getKind(objects, 'ClusterRoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: 'calico-typha', namespace: 'calico-system' }]);
  });

  // What each release's Felix syncer lists (libcalico-go felixsyncerv1.go): tiers and admin network
  // policies from 3.29, staged policies and baseline admin network policies from 3.30. A Typha that
  // may not list one never reports in sync, so it never becomes Ready.
  const LISTED_FROM: Array<[string, string]> = [
    ['tiers', '3.29.0'],
    ['adminnetworkpolicies', '3.29.0'],
    ['baselineadminnetworkpolicies', '3.30.0'],
    ['stagednetworkpolicies', '3.30.0'],
    ['stagedglobalnetworkpolicies', '3.30.0'],
    ['stagedkubernetesnetworkpolicies', '3.30.0'],
  ];
  const canList = (rules: Array<{ resources?: string[]; verbs: string[] }>, resource: string) =>
    rules.some((r) => r.resources?.includes(resource) && r.verbs.includes('list') && r.verbs.includes('watch'));

  test.each(['3.28.5', '3.29.7', '3.30.5', '3.31.7', '3.32.1'])(
    'the ClusterRole of Typha %s lets it list exactly what its release syncs',
    (release) => {
      const rules = getKind(synth({ image: `quay.io/calico/typha:v${release}` }), 'ClusterRole').rules!;
      const [, minor] = release.split('.').map(Number);
      for (const [resource, from] of LISTED_FROM)
        expect([resource, canList(rules, resource)]).toEqual([resource, minor >= Number(from.split('.')[1])]);
      // 3.29 creates the default tiers at start.
      expect(rules.some((r) => r.resources?.includes('tiers') && r.verbs.includes('create'))).toBe(minor >= 29);
    },
  );

  test('a 3.28 ClusterRole would leave a 3.30 Typha unable to list what it syncs: the release sets the rules, not the default image', () => {
    const old = typhaClusterRoleRules({ major: 3, minor: 28, patch: 5, text: '3.28.5' });
    expect(LISTED_FROM.filter(([resource]) => !canList(old, resource)).map(([r]) => r)).toHaveLength(LISTED_FROM.length);
    const rules = getKind(synth({ calicoVersion: '3.30.5' }), 'ClusterRole').rules!;
    expect(LISTED_FROM.filter(([resource]) => !canList(rules, resource))).toEqual([]);
    // 3.32 serves Calico's API as projectcalico.org too, and renames ipamconfigs.
    const v332 = getKind(synth({ calicoVersion: '3.32.1' }), 'ClusterRole').rules!;
    expect(v332.find((r) => r.resources!.includes('ippools'))!.apiGroups).toEqual(['projectcalico.org', 'crd.projectcalico.org']);
    expect(canList(v332, 'clusternetworkpolicies')).toBe(true);
  });

  test('fails on a calicoVersion that is not a release', () => {
    expect(() => synth({ calicoVersion: '3.30' })).toThrow('TyphaRelay: calicoVersion: must be a Calico release such as 3.30.5 (got "3.30")');
  });

  test('on ACK it reuses the terway account, adds the BGPPeer CRD and pulls from the VPC registry', () => {
    const { loaded } = loadSpec({ ...ACK_TERWAY, networkPolicy: 'relay' });
    const objects = synth(loaded!.cluster.typha);
    expect(objects.map((o) => o.kind).sort()).toEqual(['CustomResourceDefinition', 'Deployment', 'PodDisruptionBudget', 'Service']);
    const pod = getKind(objects, 'Deployment').spec!.template.spec!;
    expect(pod.serviceAccountName).toBe('terway');
    expect(pod.containers[0].image).toBe('registry-vpc.cn-shanghai.aliyuncs.com/acs/typha:v3.5.8');
    expect(ackTyphaImage('cn-beijing')).toBe('registry-vpc.cn-beijing.aliyuncs.com/acs/typha:v3.5.8');
    const crd = getKind(objects, 'CustomResourceDefinition');
    expect(crd.apiVersion).toBe('apiextensions.k8s.io/v1');
    expect(crd.metadata!.name).toBe('bgppeers.crd.projectcalico.org');
    expect(crd.spec.scope).toBe('Cluster');
    const schema = crd.spec.versions[0].schema!.openAPIV3Schema!;
    expect(schema.type).toBe('object');
    expect(schema.properties!.spec['x-kubernetes-preserve-unknown-fields']).toBe(true);
    for (const o of objects) expect(validateObject(o)).toEqual([]);
  });

  test("on ACK it keeps replicas off virtual-kubelet nodes, as Terway's DaemonSet does", () => {
    const { loaded } = loadSpec({ ...ACK_TERWAY, networkPolicy: 'relay' });
    const pod = getKind(synth(loaded!.cluster.typha), 'Deployment').spec!.template.spec!;
    expect(pod.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'type', operator: 'NotIn', values: ['virtual-kubelet'] }] },
    ]);
  });

  test("ACK's Typha v3.5.8 gets no TYPHA_SHUTDOWNTIMEOUTSECS, which it does not read, and the review says so", () => {
    // projectcalico/typha@v3.5.8 pkg/config/config_params.go has no ShutdownTimeoutSecs (added in 3.25).
    const { loaded, warnings } = loadSpec({ ...ACK_TERWAY, networkPolicy: 'relay', typha: { shutdownTimeoutSeconds: 120 } });
    const pod = getKind(synth(loaded!.cluster.typha), 'Deployment').spec!.template.spec!;
    expect(pod.containers[0].env!.map((e) => e.name)).not.toContain('TYPHA_SHUTDOWNTIMEOUTSECS');
    expect(pod.terminationGracePeriodSeconds).toBe(120);
    expect(loaded!.cluster.decisions.find((d) => d.name === 'TYPHA_SHUTDOWNTIMEOUTSECS')).toMatchObject({ value: 'not rendered' });
    expect(warnings).toContainEqual(
      expect.stringContaining('spec.typha.shutdownTimeoutSeconds: is ignored by Typha 3.5.8, which has no graceful shutdown'),
    );
    // A release that reads it keeps it.
    const upstream = getKind(synth({ image: 'quay.io/calico/typha:v3.31.7', shutdownTimeoutSeconds: 120 }), 'Deployment').spec!.template.spec!;
    expect(upstream.containers[0].env).toContainEqual({ name: 'TYPHA_SHUTDOWNTIMEOUTSECS', value: '120' });
  });

  test("on a manifest install Typha runs as calico-node's ServiceAccount, as Calico's manifests run it: no RBAC of its own", () => {
    for (const install of ['manifest', 'manifest-typha']) {
      const { loaded } = loadSpec({ ...KUBEADM_CALICO, networkPolicy: 'relay', calico: { install, version: '3.30.5' } });
      expect(loaded!.cluster.typha).toMatchObject({ serviceAccountName: 'calico-node', createRbac: false, bgpPeerCrd: false, replicas: 3 });
      const objects = synth(loaded!.cluster.typha);
      expect(objects.map((o) => o.kind).sort()).toEqual(['Deployment', 'PodDisruptionBudget', 'Service']);
      expect(getKind(objects, 'Deployment').spec!.template.spec!.serviceAccountName).toBe('calico-node');
    }
  });

  test('an account named in the profile gets the ClusterRole of the Typha release', () => {
    const { loaded } = loadSpec({
      ...KUBEADM_CALICO,
      networkPolicy: 'relay',
      calico: { install: 'manifest', version: '3.30.5' },
      typha: { serviceAccountName: 'typha-relay', image: 'quay.io/calico/typha:v3.30.5' },
    });
    expect(loaded!.cluster.typha).toMatchObject({ serviceAccountName: 'typha-relay', createRbac: true });
    const objects = synth(loaded!.cluster.typha);
    expect(getKind(objects, 'ClusterRoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: 'typha-relay', namespace: 'kube-system' }]);
    expect(canList(getKind(objects, 'ClusterRole').rules!, 'stagednetworkpolicies')).toBe(true);
  });

  test('who owns Typha follows the install: kept on calico.yaml, shared with calico-typha.yaml, own elsewhere', () => {
    const owners = (spec: Record<string, unknown>) => {
      const { loaded } = loadSpec(spec);
      const chart = testChart();
      typhaComponent.render(chart, loaded!.cluster.typha!, loaded!.cluster.context);
      return [
        ...new Set(
          chart.node
            .findAll()
            .filter((o): o is ApiObject => o instanceof ApiObject)
            .map((o) => ownershipOf(o)),
        ),
      ].sort();
    };
    // calico.yaml: calico-node keeps pointing at Typha after the relay leaves git, so no sync may prune it.
    expect(owners({ ...KUBEADM_CALICO, networkPolicy: 'relay', calico: { install: 'manifest', version: '3.30.5' } })).toEqual(['kept']);
    // calico-typha.yaml installed Typha: netscale owns only what it renders, by server-side apply.
    expect(owners({ ...KUBEADM_CALICO, networkPolicy: 'relay', calico: { install: 'manifest-typha', version: '3.30.5' } })).toEqual(['shared']);
    expect(owners({ ...ACK_TERWAY, networkPolicy: 'relay' })).toEqual(['kept', 'own']);
  });

  test('on an operator install netscale renders no Typha: the operator runs nodes / 200 + 2', () => {
    const { loaded } = loadSpec({ ...KUBEADM_CALICO, nodes: 1000, networkPolicy: 'relay', calico: { install: 'operator' } });
    expect(loaded!.cluster.typha).toBeUndefined();
    expect(loaded!.cluster.decisions.find((d) => d.name === 'Typha replicas (run by the operator)')).toMatchObject({
      value: 7,
      rule: 'max(3, floor(1000 / 200) + 2) = 7',
    });
    const { errors } = loadSpec({ ...KUBEADM_CALICO, networkPolicy: 'relay', calico: { install: 'operator' }, typha: { replicas: 4 } });
    expect(errors).toEqual([
      expect.stringContaining(
        'spec.typha: configures Typha, but on an operator install the Tigera operator runs and scales Typha itself (nodes / 200 + 2)',
      ),
    ]);
  });

  test.each([
    [1, 1],
    [2, 1],
    [3, 2],
    [4, 2],
    [5, 3],
    [399, 3],
    [400, 4],
    [1000, 7],
    [4000, 22],
  ])('the operator runs %i nodes with %i Typha replicas (GetExpectedTyphaScale)', (nodes, replicas) => {
    expect(operatorTyphaReplicas(nodes).value).toBe(replicas);
  });

  test('TLS mounts the Secret and CA and sets the TYPHA_ TLS variables', () => {
    const dep = getKind(synth({ tls: { secretName: 'typha-server', caConfigMapName: 'typha-ca', clientCommonName: 'typha-client' } }), 'Deployment');
    const pod = dep.spec!.template.spec!;
    const env = Object.fromEntries(pod.containers[0].env!.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      TYPHA_CAFILE: '/typha-ca/ca.crt',
      TYPHA_SERVERCERTFILE: '/typha-certs/tls.crt',
      TYPHA_SERVERKEYFILE: '/typha-certs/tls.key',
      TYPHA_CLIENTCN: 'typha-client',
    });
    expect(env.TYPHA_CLIENTURISAN).toBeUndefined();
    expect(pod.volumes).toEqual([
      { name: 'typha-certs', secret: { secretName: 'typha-server' } },
      { name: 'typha-ca', configMap: { name: 'typha-ca' } },
    ]);
  });

  test('fails on TLS without a client identity, from TypeScript and from a profile', () => {
    expect(() => synth({ tls: { secretName: 's', caConfigMapName: 'c' } })).toThrow('TyphaRelay: tls: needs clientCommonName or clientUriSan');
    const { errors } = loadSpec({
      ...KUBEADM_CALICO,
      networkPolicy: 'relay',
      calico: { install: 'manifest', version: '3.30.5' },
      typha: { tls: { secretName: 's', caConfigMapName: 'c' } },
    });
    expect(errors).toEqual([expect.stringContaining('spec.typha.tls: needs clientCommonName or clientUriSan')]);
  });

  test('with TLS on Calico, the review says how calico-node gets its client certificate', () => {
    const { loaded } = loadSpec({
      ...KUBEADM_CALICO,
      networkPolicy: 'relay',
      calico: { install: 'manifest', version: '3.30.5' },
      typha: { tls: { secretName: 'typha-server', caConfigMapName: 'typha-ca', clientCommonName: 'typha-client' } },
    });
    expect(loaded!.cluster.steps).toContainEqual(
      expect.stringContaining(
        'a certificate for common name typha-client, signed by the CA in typha-ca, and set FELIX_TYPHACAFILE, FELIX_TYPHACERTFILE and ' +
          'FELIX_TYPHAKEYFILE on the calico-node DaemonSet',
      ),
    );
  });

  test('fails on TLS on Terway, whose Felix cannot present a client certificate', () => {
    const { errors } = loadSpec({
      ...ACK_TERWAY,
      networkPolicy: 'relay',
      typha: { tls: { secretName: 's', caConfigMapName: 'c', clientCommonName: 'felix' } },
    });
    expect(errors).toEqual([expect.stringContaining("spec.typha.tls: Terway's eni-config has no setting for Felix's client certificate")]);
  });

  test('fails on a replica count below 1', () => {
    expect(() => synth({ replicas: 0 })).toThrow('TyphaRelay: replicas: must be a whole number of at least 1 (got 0)');
  });
});
