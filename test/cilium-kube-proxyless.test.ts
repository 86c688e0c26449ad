import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { CiliumApplication, ciliumIgnoreDifferences } from '../lib/components/cilium/cilium-application';
import { CiliumHelmChart } from '../lib/components/cilium/cilium-helm-chart';
import { CiliumKubeProxyless } from '../lib/components/cilium/cilium-kube-proxyless';
import { ciliumChanges, ciliumReviewNotes, ciliumVerify } from '../lib/components/cilium/notes';
import { checkCilium, CiliumCheckContext } from '../lib/components/cilium/rules';
import { ciliumSchema, CiliumSpec } from '../lib/components/cilium/schema';
import { ciliumValues, ciliumValuesYaml } from '../lib/components/cilium/values';
import { Finding } from '../lib/core/findings';
import { DirectoryApplication } from '../lib/delivery/argocd/directory-application';
import { describeWithShared, sharedPath } from './support/shared';
import { K8sObject, validateObject } from './support/validate';
import { testApp } from './support/charts';

/** A spec as the profile loader hands it over: parsed by the profile schema. */
function cilium(fields: Partial<CiliumSpec>): CiliumSpec {
  return ciliumSchema.parse({ version: '1.18.12', k8sServiceHost: '192.168.2.43', k8sServicePort: 6443, ...fields });
}

const CTX: CiliumCheckContext = { nodes: 10, platform: 'k3s', delivery: 'k3s' };

const errors = (findings: Finding[]) => findings.filter((f) => f.severity === 'error');
const warnings = (findings: Finding[]) => findings.filter((f) => f.severity === 'warning');
const at = (findings: Finding[], ...p: string[]) => findings.filter((f) => f.path.join('.') === ['spec', 'cilium', ...p].join('.'));

/** The one error a spec gets, with its path; fails the test when there are more or none. */
function onlyError(spec: CiliumSpec, ctx: Partial<CiliumCheckContext> = {}): { path: string; message: string } {
  const found = errors(checkCilium(spec, { ...CTX, ...ctx }));
  expect(found.map((f) => f.message)).toHaveLength(1);
  return { path: found[0].path.join('.'), message: found[0].message };
}

function synth(build: (chart: Chart) => void): K8sObject[] {
  const app = testApp();
  const chart = new Chart(app, 'test');
  build(chart);
  return Testing.synth(chart) as K8sObject[];
}

// The settings every row below shares, as the chart values they render to.
const HOST = { k8sServiceHost: '192.168.2.43', k8sServicePort: 6443 };
const DEFAULTS = {
  bpf: { masquerade: false },
  hubble: { relay: { enabled: false }, ui: { enabled: false } },
  operator: { replicas: 2, rollOutPods: true },
  rollOutCiliumPods: true,
};

const SETTINGS = {
  'native routing with autoDirectNodeRoutes': { routingMode: 'native', ipv4NativeRoutingCidr: '10.0.0.0/16', autoDirectNodeRoutes: true },
  'a VXLAN tunnel': { routingMode: 'tunnel', tunnelProtocol: 'vxlan' },
  'a Geneve tunnel with DSR over Geneve': { routingMode: 'tunnel', tunnelProtocol: 'geneve', loadBalancer: { mode: 'dsr', dsrDispatch: 'geneve' } },
} as const satisfies Record<string, Partial<CiliumSpec>>;
type Setting = keyof typeof SETTINGS;

const TABLE: Array<[version: string, setting: Setting, values: Record<string, unknown>]> = [
  [
    '1.13.4',
    'native routing with autoDirectNodeRoutes',
    { ...DEFAULTS, ...HOST, kubeProxyReplacement: 'strict', tunnel: 'disabled', ipv4NativeRoutingCIDR: '10.0.0.0/16', autoDirectNodeRoutes: true },
  ],
  ['1.13.4', 'a VXLAN tunnel', { ...DEFAULTS, ...HOST, kubeProxyReplacement: 'strict', tunnel: 'vxlan' }],
  [
    '1.14.5',
    'native routing with autoDirectNodeRoutes',
    { ...DEFAULTS, ...HOST, kubeProxyReplacement: 'true', routingMode: 'native', ipv4NativeRoutingCIDR: '10.0.0.0/16', autoDirectNodeRoutes: true },
  ],
  ['1.14.5', 'a VXLAN tunnel', { ...DEFAULTS, ...HOST, kubeProxyReplacement: 'true', routingMode: 'tunnel', tunnelProtocol: 'vxlan' }],
  [
    '1.14.5',
    'a Geneve tunnel with DSR over Geneve',
    {
      ...DEFAULTS,
      ...HOST,
      kubeProxyReplacement: 'true',
      routingMode: 'tunnel',
      tunnelProtocol: 'geneve',
      loadBalancer: { dsrDispatch: 'geneve', mode: 'dsr' },
    },
  ],
  [
    '1.15.19',
    'native routing with autoDirectNodeRoutes',
    { ...DEFAULTS, ...HOST, kubeProxyReplacement: 'true', routingMode: 'native', ipv4NativeRoutingCIDR: '10.0.0.0/16', autoDirectNodeRoutes: true },
  ],
  ['1.15.19', 'a VXLAN tunnel', { ...DEFAULTS, ...HOST, kubeProxyReplacement: 'true', routingMode: 'tunnel', tunnelProtocol: 'vxlan' }],
  [
    '1.15.19',
    'a Geneve tunnel with DSR over Geneve',
    {
      ...DEFAULTS,
      ...HOST,
      kubeProxyReplacement: 'true',
      routingMode: 'tunnel',
      tunnelProtocol: 'geneve',
      loadBalancer: { dsrDispatch: 'geneve', mode: 'dsr' },
    },
  ],
  [
    '1.16.19',
    'native routing with autoDirectNodeRoutes',
    { ...DEFAULTS, ...HOST, kubeProxyReplacement: true, routingMode: 'native', ipv4NativeRoutingCIDR: '10.0.0.0/16', autoDirectNodeRoutes: true },
  ],
  ['1.16.19', 'a VXLAN tunnel', { ...DEFAULTS, ...HOST, kubeProxyReplacement: true, routingMode: 'tunnel', tunnelProtocol: 'vxlan' }],
  [
    '1.16.19',
    'a Geneve tunnel with DSR over Geneve',
    {
      ...DEFAULTS,
      ...HOST,
      kubeProxyReplacement: true,
      routingMode: 'tunnel',
      tunnelProtocol: 'geneve',
      loadBalancer: { dsrDispatch: 'geneve', mode: 'dsr' },
    },
  ],
  [
    '1.20.5',
    'native routing with autoDirectNodeRoutes',
    { ...DEFAULTS, ...HOST, kubeProxyReplacement: true, routingMode: 'native', ipv4NativeRoutingCIDR: '10.0.0.0/16', autoDirectNodeRoutes: true },
  ],
  ['1.20.5', 'a VXLAN tunnel', { ...DEFAULTS, ...HOST, kubeProxyReplacement: true, routingMode: 'tunnel', tunnelProtocol: 'vxlan' }],
  [
    '1.20.5',
    'a Geneve tunnel with DSR over Geneve',
    {
      ...DEFAULTS,
      ...HOST,
      kubeProxyReplacement: true,
      routingMode: 'tunnel',
      tunnelProtocol: 'geneve',
      loadBalancer: { dsrDispatch: 'geneve', mode: 'dsr' },
    },
  ],
];

function sortedAtEveryLevel(x: unknown): boolean {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return true;
  const keys = Object.keys(x);
  return keys.join('\n') === [...keys].sort().join('\n') && Object.values(x).every(sortedAtEveryLevel);
}

describe('ciliumValues', () => {
  test.each(TABLE)('%s with %s', (version, setting, expected) => {
    const spec = cilium({ version, ...SETTINGS[setting] });
    const { values } = ciliumValues(spec);
    expect(values).toEqual(expected);
    expect(sortedAtEveryLevel(values)).toBe(true);
    expect(errors(checkCilium(spec, CTX))).toEqual([]);
  });

  test('1.13 cannot carry DSR over a Geneve tunnel, so that row is refused instead of rendered', () => {
    const found = errors(checkCilium(cilium({ version: '1.13.4', ...SETTINGS['a Geneve tunnel with DSR over Geneve'] }), CTX));
    expect(found.map((f) => f.path.join('.'))).toEqual(['spec.cilium.loadBalancer.mode', 'spec.cilium.loadBalancer.dsrDispatch']);
  });

  test('native routing with DSR over Geneve adds a Geneve tunnel protocol from 1.14', () => {
    const spec = cilium({
      version: '1.18.12',
      routingMode: 'native',
      ipv4NativeRoutingCidr: '10.0.0.0/16',
      loadBalancer: { mode: 'hybrid', dsrDispatch: 'geneve', acceleration: 'best-effort' },
    });
    expect(ciliumValues(spec).values).toEqual({
      ...DEFAULTS,
      ...HOST,
      kubeProxyReplacement: true,
      routingMode: 'native',
      tunnelProtocol: 'geneve',
      ipv4NativeRoutingCIDR: '10.0.0.0/16',
      loadBalancer: { acceleration: 'best-effort', dsrDispatch: 'geneve', mode: 'hybrid' },
    });
    expect(checkCilium(spec, CTX)).toEqual([]);
  });

  test('the routing mode defaults to a VXLAN tunnel, written out', () => {
    expect(ciliumValues(cilium({ version: '1.18.12' })).values).toEqual({
      ...DEFAULTS,
      ...HOST,
      kubeProxyReplacement: true,
      routingMode: 'tunnel',
      tunnelProtocol: 'vxlan',
    });
    expect(ciliumValues(cilium({ version: '1.13.4' })).values).toEqual({ ...DEFAULTS, ...HOST, kubeProxyReplacement: 'strict', tunnel: 'vxlan' });
  });

  test('spec.values are deep-merged last, lists replaced, keys sorted', () => {
    const spec = cilium({
      version: '1.18.12',
      bpfMasquerade: true,
      values: {
        hubble: { relay: { replicas: 2 } },
        ipam: { operator: { clusterPoolIPv4PodCIDRList: ['10.8.0.0/16'] } },
        bpf: { hostLegacyRouting: false },
      },
    });
    const result = ciliumValues(spec);
    expect(result.values).toEqual({
      ...HOST,
      bpf: { hostLegacyRouting: false, masquerade: true },
      hubble: { relay: { enabled: false, replicas: 2 }, ui: { enabled: false } },
      ipam: { operator: { clusterPoolIPv4PodCIDRList: ['10.8.0.0/16'] } },
      kubeProxyReplacement: true,
      operator: { replicas: 2, rollOutPods: true },
      rollOutCiliumPods: true,
      routingMode: 'tunnel',
      tunnelProtocol: 'vxlan',
    });
    expect(Object.keys(result.values)).toEqual([
      'bpf',
      'hubble',
      'ipam',
      'k8sServiceHost',
      'k8sServicePort',
      'kubeProxyReplacement',
      'operator',
      'rollOutCiliumPods',
      'routingMode',
      'tunnelProtocol',
    ]);
    expect(result.decisions.find((d) => d.name === 'extra values')?.rule).toBe(
      'merged last from spec.cilium.values: hubble.relay.replicas, ipam.operator.clusterPoolIPv4PodCIDRList, bpf.hostLegacyRouting',
    );
    expect(checkCilium(spec, CTX)).toEqual([]);
  });

  test('every decision gives its reason', () => {
    const d = ciliumValues(cilium({ version: '1.13.4' })).decisions;
    expect(d.find((x) => x.name === 'kubeProxyReplacement')).toMatchObject({
      value: 'strict',
      rule: expect.stringContaining('1.13 takes strict|partial|disabled'),
    });
    expect(ciliumValues(cilium({ version: '1.15.19' })).decisions.find((x) => x.name === 'kubeProxyReplacement')).toMatchObject({
      value: '"true"',
      rule: expect.stringContaining('1.15 takes true|false'),
    });
    expect(ciliumValues(cilium({ version: '1.16.19' })).decisions.find((x) => x.name === 'kubeProxyReplacement')).toMatchObject({
      value: 'true',
      rule: expect.stringContaining('only true|false'),
    });
    for (const decision of d) expect(decision.rule.length).toBeGreaterThan(10);
  });

  test('fails on a version older than 1.13.0', () => {
    expect(() => ciliumValues(cilium({ version: '1.12.10' }))).toThrow(
      'Cilium chart version "1.12.10" is not supported: give an exact version of 1.13.0 or newer',
    );
  });

  test('renders the same YAML every time', () => {
    const spec = cilium({ version: '1.20.5', ...SETTINGS['a Geneve tunnel with DSR over Geneve'], values: { zeta: 1, alpha: { b: 1, a: 2 } } });
    const a = ciliumValuesYaml(ciliumValues(spec).values);
    expect(ciliumValuesYaml(ciliumValues(spec).values)).toBe(a);
    expect(a.split('\n').filter((l) => /^\S/.test(l))).toEqual([
      'alpha:',
      'bpf:',
      'hubble:',
      'k8sServiceHost: 192.168.2.43',
      'k8sServicePort: 6443',
      'kubeProxyReplacement: true',
      'loadBalancer:',
      'operator:',
      'rollOutCiliumPods: true',
      'routingMode: tunnel',
      'tunnelProtocol: geneve',
      'zeta: 1',
    ]);
  });

  test('1.14 and 1.15 keep "true" a string in YAML', () => {
    expect(ciliumValuesYaml(ciliumValues(cilium({ version: '1.15.19' })).values)).toContain('kubeProxyReplacement: "true"\n');
  });
});

describe('seed 004: Cilium 1.13.4 replacing kube-proxy on k3s', () => {
  const seed = cilium({
    version: '1.13.4',
    k8sServiceHost: '192.168.2.43',
    k8sServicePort: 6443,
    routingMode: 'native',
    autoDirectNodeRoutes: true,
    ipv4NativeRoutingCidr: '10.0.0.0/22',
    hubble: { relay: true, ui: true },
    operatorReplicas: 1,
    delivery: 'k3s',
  });

  test("renders the values of the seed's helm install", () => {
    expect(ciliumValues(seed).values).toEqual({
      autoDirectNodeRoutes: true,
      bpf: { masquerade: false },
      hubble: { relay: { enabled: true }, ui: { enabled: true } },
      ipv4NativeRoutingCIDR: '10.0.0.0/22',
      k8sServiceHost: '192.168.2.43',
      k8sServicePort: 6443,
      kubeProxyReplacement: 'strict',
      operator: { replicas: 1, rollOutPods: true },
      rollOutCiliumPods: true,
      tunnel: 'disabled',
    });
    expect(ciliumValuesYaml(ciliumValues(seed).values)).toBe(
      [
        'autoDirectNodeRoutes: true',
        'bpf:',
        '  masquerade: false',
        'hubble:',
        '  relay:',
        '    enabled: true',
        '  ui:',
        '    enabled: true',
        'ipv4NativeRoutingCIDR: 10.0.0.0/22',
        'k8sServiceHost: 192.168.2.43',
        'k8sServicePort: 6443',
        'kubeProxyReplacement: strict',
        'operator:',
        '  replicas: 1',
        '  rollOutPods: true',
        'rollOutCiliumPods: true',
        'tunnel: disabled',
        '',
      ].join('\n'),
    );
  });

  test("passes the checks on the seed's three nodes, with only the end-of-life warning", () => {
    const found = checkCilium(seed, { nodes: 3, platform: 'k3s', delivery: 'k3s' });
    expect(errors(found)).toEqual([]);
    expect(warnings(found).map((f) => f.message)).toEqual([
      '1.13 no longer gets fixes (Cilium maintains the newest three minors, 1.18 to 1.20): plan the upgrade',
    ]);
  });

  test('warns that 10.0.0.0/22 holds pod blocks for four nodes only', () => {
    const found = at(checkCilium(seed, { ...CTX, nodes: 10 }), 'ipv4NativeRoutingCidr');
    expect(found).toEqual([
      expect.objectContaining({
        severity: 'warning',
        message:
          '10.0.0.0/22 holds 4 per-node pod blocks of /24, fewer than the 10 nodes: pods on the other nodes fall outside it; widen it to /20 or more',
      }),
    ]);
  });

  test('the review gives the k3s flags, the values with reasons and the verification commands', () => {
    const notes = ciliumReviewNotes(seed, { delivery: 'k3s', cluster: 'lab' }).join('\n');
    expect(notes).toContain('--flannel-backend=none --disable-network-policy --disable-kube-proxy --disable=servicelb');
    const rows = ciliumChanges(seed).changes;
    expect(rows).toContainEqual({
      setting: 'kubeProxyReplacement',
      next: '"strict"',
      why: expect.stringContaining('1.13 takes strict|partial|disabled'),
    });
    expect(rows).toContainEqual({ setting: 'tunnel', next: '"disabled"', why: expect.stringContaining('routingMode native (set in the profile)') });
    const verify = ciliumVerify(seed);
    expect(verify).toContainEqual({
      component: 'Cilium',
      check: '`kubectl -n kube-system exec ds/cilium -- cilium status | grep KubeProxyReplacement`',
      healthy: '`KubeProxyReplacement: Strict`',
    });
    expect(verify).toContainEqual({
      component: 'Cilium',
      check: 'on a node: `sudo iptables-save | grep KUBE-SVC`',
      healthy: 'nothing: no kube-proxy rules are left',
    });
    expect(JSON.stringify(verify)).not.toContain('cilium-dbg');
    expect(notes).toContain(
      'On a new cluster put `dist/lab/HelmChart.cilium.k8s.yaml` in `/var/lib/rancher/k3s/server/manifests/` on the first server',
    );
    expect(notes).not.toContain('cilium-dbg');
  });

  test("the HelmChart carries exactly the seed's values", () => {
    const [obj] = synth((c) => new CiliumHelmChart(c, 'Cilium', { version: seed.version, values: ciliumValues(seed).values }));
    expect(parse((obj.spec as { valuesContent: string }).valuesContent)).toEqual(ciliumValues(seed).values);
  });
});

describe('checkCilium', () => {
  test('fails on a version older than 1.13.0', () => {
    expect(onlyError(cilium({ version: '1.12.10' }))).toEqual({
      path: 'spec.cilium.version',
      message:
        '1.12.10 is older than 1.13.0, the oldest chart netscale renders (its kube-proxy replacement values are not checked): use 1.13.0 or newer',
    });
  });

  test('fails when Hubble UI is on without relay', () => {
    expect(onlyError(cilium({ hubble: { ui: true } }))).toEqual({
      path: 'spec.cilium.hubble.ui',
      message: expect.stringContaining('Hubble UI reads flows through Hubble relay'),
    });
  });

  test('fails when autoDirectNodeRoutes is set with a tunnel', () => {
    expect(onlyError(cilium({ autoDirectNodeRoutes: true }))).toEqual({
      path: 'spec.cilium.autoDirectNodeRoutes',
      message: 'needs routingMode: native (routing is tunnel); the agent exits with "auto-direct-node-routes cannot be used with tunneling"',
    });
  });

  test('fails when native routing has no ipv4NativeRoutingCidr', () => {
    expect(onlyError(cilium({ routingMode: 'native' }))).toEqual({
      path: 'spec.cilium.routingMode',
      message: expect.stringContaining('native needs ipv4NativeRoutingCidr'),
    });
  });

  test('fails when ipv4NativeRoutingCidr is not a valid IPv4 CIDR', () => {
    expect(onlyError(cilium({ routingMode: 'native', ipv4NativeRoutingCidr: '10.0.0.1/22' }))).toEqual({
      path: 'spec.cilium.ipv4NativeRoutingCidr',
      message: '10.0.0.1/22 has host bits set: the block starts at 10.0.0.0/22',
    });
    expect(onlyError(cilium({ routingMode: 'native', ipv4NativeRoutingCidr: 'fd00::/104' })).message).toBe(
      'fd00::/104 is an IPv6 CIDR: give an IPv4 one such as 10.0.0.0/22',
    );
  });

  test('fails when tunnelProtocol is given with native routing', () => {
    expect(onlyError(cilium({ routingMode: 'native', ipv4NativeRoutingCidr: '10.0.0.0/16', tunnelProtocol: 'geneve' }))).toEqual({
      path: 'spec.cilium.tunnelProtocol',
      message: 'geneve is given, but routingMode is native: native routing has no tunnel; remove tunnelProtocol or use routingMode: tunnel',
    });
  });

  test('fails when DSR runs in a VXLAN tunnel', () => {
    expect(onlyError(cilium({ routingMode: 'tunnel', loadBalancer: { mode: 'dsr' } }))).toEqual({
      path: 'spec.cilium.loadBalancer.mode',
      message:
        'dsr needs routingMode: native, or a Geneve tunnel (tunnelProtocol: geneve) with loadBalancer.dsrDispatch: geneve; VXLAN has no room ' +
        'for the service address',
    });
  });

  test('fails when hybrid mode in a Geneve tunnel dispatches with an IP option', () => {
    expect(onlyError(cilium({ tunnelProtocol: 'geneve', loadBalancer: { mode: 'hybrid', dsrDispatch: 'opt' } })).path).toBe(
      'spec.cilium.loadBalancer.mode',
    );
  });

  test('fails when DSR runs in a tunnel on 1.13', () => {
    expect(onlyError(cilium({ version: '1.13.4', loadBalancer: { mode: 'dsr' } }))).toEqual({
      path: 'spec.cilium.loadBalancer.mode',
      message: 'dsr needs routingMode: native in 1.13 (DSR in a Geneve tunnel needs 1.14 or newer)',
    });
  });

  test('fails when Geneve dispatch is used before 1.14', () => {
    expect(
      onlyError(
        cilium({
          version: '1.13.4',
          routingMode: 'native',
          ipv4NativeRoutingCidr: '10.0.0.0/16',
          loadBalancer: { mode: 'dsr', dsrDispatch: 'geneve' },
        }),
      ),
    ).toEqual({
      path: 'spec.cilium.loadBalancer.dsrDispatch',
      message: 'geneve needs Cilium 1.14 or newer (1.13.4 dispatches with an IP option only): use opt or upgrade',
    });
  });

  test('fails when best-effort XDP acceleration is used before 1.15', () => {
    expect(onlyError(cilium({ version: '1.14.5', loadBalancer: { acceleration: 'best-effort' } }))).toEqual({
      path: 'spec.cilium.loadBalancer.acceleration',
      message: 'best-effort needs Cilium 1.15 or newer (1.14 takes native or disabled)',
    });
  });

  test('fails when operator replicas exceed the nodes', () => {
    expect(onlyError(cilium({ operatorReplicas: 3 }), { nodes: 2 })).toEqual({
      path: 'spec.cilium.operatorReplicas',
      message:
        '3 operator replicas on 2 nodes: the chart keeps replicas on different nodes, so the rest stay Pending; set operatorReplicas to 2 or fewer',
    });
    expect(onlyError(cilium({}), { nodes: 1 }).message).toBe(
      '2 operator replicas (the default 2) on 1 node: the chart keeps replicas on different nodes, so the rest stay Pending; set ' +
        'operatorReplicas to 1 or fewer',
    );
  });

  test('fails when k8sServiceHost is "auto" under Argo CD', () => {
    expect(onlyError(cilium({ k8sServiceHost: 'auto' }), { delivery: 'argocd', platform: 'kubeadm' })).toEqual({
      path: 'spec.cilium.k8sServiceHost',
      message: '"auto" makes the chart look up the cluster-info ConfigMap at render time, which Argo CD cannot do: give the API server address',
    });
    const onKubeadm = checkCilium(cilium({ k8sServiceHost: 'auto' }), { ...CTX, delivery: 'values', platform: 'kubeadm' });
    expect(onKubeadm).toEqual([]);
  });

  test('fails when k8sServiceHost is "auto" before 1.16', () => {
    expect(onlyError(cilium({ version: '1.15.19', k8sServiceHost: 'auto' }), { delivery: 'values', platform: 'kubeadm' }).message).toBe(
      '"auto" needs Cilium 1.16 or newer (1.15 would dial a host named auto): give the API server address, e.g. 192.168.2.43',
    );
  });

  test('fails when k8sServiceHost names the kubernetes Service', () => {
    expect(onlyError(cilium({ k8sServiceHost: 'kubernetes.default.svc' })).message).toBe(
      "kubernetes.default.svc is the kubernetes Service, which only kube-proxy or Cilium itself can route: give the API server's own address",
    );
  });

  test('fails when the k3s helm controller is asked for on another platform', () => {
    expect(onlyError(cilium({}), { platform: 'kubeadm', delivery: 'k3s' })).toEqual({
      path: 'spec.cilium.delivery',
      message: 'k3s installs the chart with the k3s helm controller, which kubeadm does not run: use argocd or values',
    });
  });

  test('warns about 1.14.0 to 1.14.2, which render routing-mode twice', () => {
    const found = at(checkCilium(cilium({ version: '1.14.1' }), CTX), 'version');
    expect(found.map((f) => f.message)).toContain(
      '1.14.1 renders routing-mode twice in cilium-config when routingMode is set without tunnel, which Argo CD and Flux refuse: use 1.14.3 or newer',
    );
    expect(errors(found)).toEqual([]);
  });

  test('warns about a version newer than the newest chart checked', () => {
    expect(checkCilium(cilium({ version: '1.21.0' }), CTX)).toEqual([
      expect.objectContaining({
        severity: 'warning',
        path: ['spec', 'cilium', 'version'],
        message: expect.stringContaining('newer than the newest chart checked (1.20)'),
      }),
    ]);
  });

  test('warns when a DSR dispatch is set without DSR', () => {
    expect(checkCilium(cilium({ loadBalancer: { dsrDispatch: 'opt' } }), CTX)).toEqual([
      expect.objectContaining({
        severity: 'warning',
        message: 'opt has no effect with loadBalancer.mode snat (the default): it applies to dsr and hybrid only',
      }),
    ]);
  });

  test('warns when the native routing CIDR misses the cluster-pool', () => {
    const found = checkCilium(cilium({ routingMode: 'native', ipv4NativeRoutingCidr: '10.42.0.0/16' }), CTX);
    expect(found).toEqual([
      expect.objectContaining({
        severity: 'warning',
        message: expect.stringContaining('10.42.0.0/16 does not contain the start of the pod pool 10.0.0.0/8'),
      }),
    ]);
    const moved = cilium({
      routingMode: 'native',
      ipv4NativeRoutingCidr: '10.42.0.0/16',
      values: { ipam: { operator: { clusterPoolIPv4PodCIDRList: ['10.42.0.0/16'] } } },
    });
    expect(checkCilium(moved, CTX)).toEqual([]);
    const kubernetesIpam = cilium({ routingMode: 'native', ipv4NativeRoutingCidr: '10.42.0.0/16', values: { ipam: { mode: 'kubernetes' } } });
    expect(checkCilium(kubernetesIpam, CTX)).toEqual([]);
  });

  test('reports every problem at once', () => {
    const found = checkCilium(
      cilium({
        version: '1.13.4',
        routingMode: 'native',
        autoDirectNodeRoutes: true,
        tunnelProtocol: 'vxlan',
        hubble: { ui: true },
        operatorReplicas: 5,
      }),
      { ...CTX, nodes: 3 },
    );
    expect(errors(found).map((f) => f.path.join('.'))).toEqual([
      'spec.cilium.hubble.ui',
      'spec.cilium.tunnelProtocol',
      'spec.cilium.routingMode',
      'spec.cilium.operatorReplicas',
    ]);
  });
});

describe('checkCilium on spec.values', () => {
  test('fails when values set tunnel from 1.14 on', () => {
    expect(onlyError(cilium({ version: '1.14.5', values: { tunnel: 'disabled' } }))).toEqual({
      path: 'spec.cilium.values.tunnel',
      message:
        'is deprecated in 1.14 (removed in 1.15) and clashes with the routingMode netscale renders; set spec.cilium.routingMode and ' +
        'tunnelProtocol instead',
    });
    expect(onlyError(cilium({ version: '1.16.19', values: { tunnel: 'disabled' } })).message).toBe(
      'was removed in 1.15: 1.15.0 to 1.15.7 ignore it (leaving VXLAN tunnelling), later charts fail on it; set spec.cilium.routingMode and ' +
        'tunnelProtocol instead',
    );
  });

  test('fails when values set routingMode or tunnelProtocol before 1.14', () => {
    const found = errors(checkCilium(cilium({ version: '1.13.4', values: { routingMode: 'native', tunnelProtocol: 'geneve' } }), CTX));
    expect(found.map((f) => [f.path.join('.'), f.message])).toEqual([
      [
        'spec.cilium.values.routingMode',
        'is ignored by 1.13, which has only tunnel (disabled|vxlan|geneve): set spec.cilium.routingMode and tunnelProtocol, which render ' +
          'tunnel for 1.13',
      ],
      [
        'spec.cilium.values.tunnelProtocol',
        'is ignored by 1.13, which has only tunnel (disabled|vxlan|geneve): set spec.cilium.routingMode and tunnelProtocol, which render ' +
          'tunnel for 1.13',
      ],
    ]);
  });

  test('fails when values set tunnel on 1.13 to something the typed fields do not say', () => {
    expect(onlyError(cilium({ version: '1.13.4', values: { tunnel: 'disabled' } }))).toEqual({
      path: 'spec.cilium.values.tunnel',
      message:
        'overrides "vxlan" from spec.cilium.routingMode and tunnelProtocol with "disabled": set spec.cilium.routingMode and tunnelProtocol ' +
        'instead, so the checks see it',
    });
  });

  test('fails when values use the words strict, partial or disabled from 1.16', () => {
    expect(onlyError(cilium({ version: '1.16.19', values: { kubeProxyReplacement: 'strict' } }))).toEqual({
      path: 'spec.cilium.values.kubeProxyReplacement',
      message: '"strict" is rejected from 1.16 (the chart takes only true|false): remove it (netscale renders true)',
    });
    expect(onlyError(cilium({ version: '1.20.5', values: { kubeProxyReplacement: 'partial' } })).message).toBe(
      '"partial" hands services back to kube-proxy, which defeats this profile: remove it (netscale renders true)',
    );
  });

  test('fails when values turn kube-proxy replacement off', () => {
    expect(onlyError(cilium({ version: '1.18.12', values: { kubeProxyReplacement: false } })).message).toBe(
      'false hands services back to kube-proxy, which defeats this profile: remove it (netscale renders true)',
    );
    expect(onlyError(cilium({ version: '1.15.19', values: { kubeProxyReplacement: 'disabled' } })).message).toBe(
      '"disabled" hands services back to kube-proxy, which defeats this profile: remove it (netscale renders "true")',
    );
    expect(onlyError(cilium({ version: '1.13.4', values: { kubeProxyReplacement: 'partial' } })).message).toBe(
      '"partial" keeps kube-proxy in charge of some services, which defeats this profile: remove it (netscale renders strict)',
    );
  });

  test('fails when values give 1.13 a word it does not know', () => {
    expect(onlyError(cilium({ version: '1.13.4', values: { kubeProxyReplacement: true } })).message).toBe(
      'true is not a 1.13 value (it takes strict|partial|disabled): remove it (netscale renders strict)',
    );
  });

  test('warns about strict on 1.14 and 1.15, and passes what netscale renders anyway', () => {
    expect(checkCilium(cilium({ version: '1.15.19', values: { kubeProxyReplacement: 'strict' } }), CTX)).toEqual([
      expect.objectContaining({ path: ['spec', 'cilium', 'version'], message: expect.stringContaining('no longer gets fixes') }),
      expect.objectContaining({
        severity: 'warning',
        path: ['spec', 'cilium', 'values', 'kubeProxyReplacement'],
        message: '"strict" is deprecated in 1.15 and rejected from 1.16: remove it (netscale renders "true")',
      }),
    ]);
    expect(errors(checkCilium(cilium({ version: '1.16.19', values: { kubeProxyReplacement: 'true' } }), CTX))).toEqual([]);
    expect(errors(checkCilium(cilium({ version: '1.13.4', values: { kubeProxyReplacement: 'strict', k8sServicePort: 6443 } }), CTX))).toEqual([]);
  });

  test('fails when values override a typed field', () => {
    expect(onlyError(cilium({ values: { k8sServicePort: '6444' } }))).toEqual({
      path: 'spec.cilium.values.k8sServicePort',
      message: 'overrides 6443 from spec.cilium.k8sServicePort with "6444": set spec.cilium.k8sServicePort instead, so the checks see it',
    });
    expect(onlyError(cilium({ values: { ipv4NativeRoutingCIDR: '10.0.0.0/8' } }))).toEqual({
      path: 'spec.cilium.values.ipv4NativeRoutingCIDR',
      message: 'is rendered from spec.cilium.ipv4NativeRoutingCidr: set it there, so the checks see it',
    });
    expect(onlyError(cilium({ values: { operator: { replicas: 30 } } })).path).toBe('spec.cilium.values.operator.replicas');
  });

  test('fails when values replace a map the typed fields render', () => {
    expect(onlyError(cilium({ values: { hubble: true } }))).toEqual({
      path: 'spec.cilium.values.hubble',
      message: 'replaces the whole hubble map the typed fields render (true): give a map, and set spec.cilium.hubble.relay for hubble.relay.enabled',
    });
  });

  test('fails when values set a key the chosen chart removed', () => {
    expect(onlyError(cilium({ version: '1.16.19', values: { encryption: { keyFile: 'keys' } } }))).toEqual({
      path: 'spec.cilium.values.encryption.keyFile',
      message: 'was removed from the chart in 1.16; 1.16.19 rejects or ignores it: use encryption.ipsec.keyFile',
    });
    expect(errors(checkCilium(cilium({ version: '1.15.19', values: { encryption: { keyFile: 'keys' } } }), CTX))).toEqual([]);
    expect(onlyError(cilium({ version: '1.18.12', values: { enableCiliumEndpointSlice: true } })).path).toBe(
      'spec.cilium.values.enableCiliumEndpointSlice',
    );
  });

  test('fails when values set k8sServiceHostRef', () => {
    expect(onlyError(cilium({ version: '1.18.12', values: { k8sServiceHostRef: { name: 'api', key: 'host' } } })).message).toBe(
      'cannot be combined with k8sServiceHost, which netscale always renders (the chart fails on both): set spec.cilium.k8sServiceHost only',
    );
    expect(onlyError(cilium({ version: '1.16.19', values: { k8sServiceHostRef: { name: 'api' } } })).message).toBe(
      'is ignored by 1.16 (it arrived in 1.18): set spec.cilium.k8sServiceHost',
    );
  });

  test('fails when values turn Hubble off under relay', () => {
    expect(onlyError(cilium({ hubble: { relay: true }, values: { hubble: { enabled: false } } }))).toEqual({
      path: 'spec.cilium.values.hubble.enabled',
      message: 'false turns Hubble off, but relay or UI is on and the chart refuses relay without Hubble: remove it or turn relay and UI off',
    });
  });
});

describe('CiliumHelmChart', () => {
  test('is a bootstrap HelmChart in kube-system, valid against the k3s CRD', () => {
    const values = ciliumValues(cilium({ version: '1.13.4' })).values;
    const objects = synth((c) => new CiliumHelmChart(c, 'Cilium', { version: '1.13.4', values }));
    expect(objects).toEqual([
      {
        apiVersion: 'helm.cattle.io/v1',
        kind: 'HelmChart',
        metadata: { name: 'cilium', namespace: 'kube-system', labels: { 'app.kubernetes.io/managed-by': 'netscale' } },
        spec: {
          bootstrap: true,
          chart: 'cilium',
          failurePolicy: 'abort',
          repo: 'https://helm.cilium.io/',
          targetNamespace: 'kube-system',
          valuesContent: ciliumValuesYaml(values),
          version: '1.13.4',
        },
      },
    ]);
    expect(objects.flatMap(validateObject)).toEqual([]);
  });

  test('fails on a version that is not exact', () => {
    expect(() => synth((c) => new CiliumHelmChart(c, 'Cilium', { version: '1.13', values: {} }))).toThrow(
      'CiliumHelmChart version must be an exact Cilium chart version of 1.13.0 or newer, such as 1.13.4 or 1.18.12 (got "1.13")',
    );
    expect(() => synth((c) => new CiliumHelmChart(c, 'Cilium', { version: '1.12.19', values: {} }))).toThrow('got "1.12.19"');
  });
});

describe('CiliumApplication', () => {
  const values = ciliumValues(cilium({ version: '1.18.12', hubble: { relay: true, ui: true } })).values;

  test('renders the chart into kube-system, valid against the Argo CD CRD', () => {
    const objects = synth((c) => new CiliumApplication(c, 'Cilium', { version: '1.18.12', values }));
    expect(objects).toEqual([
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: 'cilium', namespace: 'argocd', labels: { 'app.kubernetes.io/managed-by': 'netscale' } },
        spec: {
          project: 'default',
          source: {
            repoURL: 'https://helm.cilium.io/',
            chart: 'cilium',
            targetRevision: '1.18.12',
            helm: { releaseName: 'cilium', valuesObject: values },
          },
          destination: { server: 'https://kubernetes.default.svc', namespace: 'kube-system' },
          ignoreDifferences: [
            { group: '', kind: 'Secret', name: 'cilium-ca', jsonPointers: ['/data'] },
            { group: '', kind: 'Secret', name: 'hubble-relay-client-certs', jsonPointers: ['/data'] },
            { group: '', kind: 'Secret', name: 'hubble-server-certs', jsonPointers: ['/data'] },
          ],
          syncPolicy: { syncOptions: ['ServerSideApply=true', 'CreateNamespace=false', 'RespectIgnoreDifferences=true'] },
        },
      },
    ]);
    expect(objects.flatMap(validateObject)).toEqual([]);
  });

  test('takes a named destination, a project, its namespace and automated sync without pruning', () => {
    const [obj] = synth(
      (c) =>
        new CiliumApplication(c, 'Cilium', {
          version: '1.18.12',
          values,
          name: 'prod-sh-cilium',
          namespace: 'gitops',
          project: 'platform',
          destinationName: 'prod-sh',
          automated: true,
        }),
    );
    expect(obj.metadata).toEqual({ name: 'prod-sh-cilium', namespace: 'gitops', labels: { 'app.kubernetes.io/managed-by': 'netscale' } });
    expect(obj.spec).toMatchObject({
      project: 'platform',
      destination: { name: 'prod-sh', namespace: 'kube-system' },
      syncPolicy: { automated: { prune: false, selfHeal: true } },
    });
    expect(validateObject(obj)).toEqual([]);
  });

  test('fails when given both a destination server and name', () => {
    expect(() =>
      synth(
        (c) =>
          new CiliumApplication(c, 'Cilium', { version: '1.18.12', values, destinationServer: 'https://10.0.0.1:6443', destinationName: 'prod' }),
      ),
    ).toThrow('CiliumApplication takes destinationServer or destinationName, not both');
  });

  test.each([
    ['argocd', 'the Cilium Application'],
    ['k3s', "the cluster folder's Application"],
  ] as const)('with %s delivery, the recovery turns automated sync back on as %s renders it', (delivery, _) => {
    const text = ciliumReviewNotes(cilium({ version: '1.18.12' }), {
      delivery,
      cluster: 'fra',
      platform: delivery === 'k3s' ? 'k3s' : 'kubeadm',
      argocd: { namespace: 'argocd', inCluster: true },
    }).join('\n');
    const patches = [...text.matchAll(/kubectl -n argocd patch application (\S+) --type merge -p '([^']+)'/g)];
    expect(patches.map((m) => JSON.parse(m[2]).spec.syncPolicy.automated)[0]).toBeNull();
    const [, app, restore] = patches[patches.length - 1];
    const rendered =
      delivery === 'argocd'
        ? synth((c) => new CiliumApplication(c, 'Cilium', { name: app, version: '1.18.12', values: {}, automated: true }))
        : synth((c) => new DirectoryApplication(c, 'Folder', { name: app, path: 'dist/fra', repoURL: 'https://git.example.com/fleet.git' }));
    const application = rendered.find((o) => o.kind === 'Application') as K8sObject & { spec: { syncPolicy: { automated: unknown } } };
    expect(JSON.parse(restore).spec.syncPolicy.automated).toEqual(application.spec.syncPolicy.automated);
  });

  test('the review gives the bootstrap caveat, the CiliumIdentity exclusion and cilium-dbg', () => {
    const notes = ciliumReviewNotes(cilium({ version: '1.18.12' }), {
      delivery: 'argocd',
      cluster: 'fra',
      platform: 'kubeadm',
      argocd: { namespace: 'argocd', inCluster: true },
    });
    const text = notes.join('\n');
    expect(text).toContain('Bootstrap: Argo CD runs inside this cluster and needs a CNI before it can run');
    expect(text).toContain('`helm install cilium cilium/cilium --version 1.18.12 --namespace kube-system -f dist/values/fra.cilium-values.yaml`');
    expect(text).toContain(
      ['resource.exclusions: |', '  - apiGroups:', '      - cilium.io', '    kinds:', '      - CiliumIdentity', '    clusters:', '      - "*"'].join(
        '\n',
      ),
    );
    expect(parse(notes.slice(notes.indexOf('```yaml') + 1, notes.lastIndexOf('```')).join('\n'))).toEqual({
      'resource.exclusions': '- apiGroups:\n    - cilium.io\n  kinds:\n    - CiliumIdentity\n  clusters:\n    - "*"\n',
    });
    expect(ciliumVerify(cilium({ version: '1.18.12' }))).toContainEqual({
      component: 'Cilium',
      check: '`kubectl -n kube-system exec ds/cilium -- cilium-dbg status | grep KubeProxyReplacement` (the in-pod CLI is cilium-dbg from 1.15)',
      healthy: '`KubeProxyReplacement: True`',
    });
    expect(text).toContain('kubeadm init --skip-phases=addon/kube-proxy');
    expect(text).not.toContain('--flannel-backend=none');
  });
});

describe('CiliumKubeProxyless', () => {
  const values = ciliumValues(cilium({ version: '1.16.19' })).values;

  test('renders a HelmChart for k3s, an Application for Argo CD and nothing for a values file', () => {
    expect(synth((c) => new CiliumKubeProxyless(c, 'Cilium', { version: '1.16.19', values, delivery: 'k3s' })).map((o) => o.kind)).toEqual([
      'HelmChart',
    ]);
    expect(
      synth(
        (c) => new CiliumKubeProxyless(c, 'Cilium', { version: '1.16.19', values, delivery: 'argocd', application: { name: 'edge-cilium' } }),
      ).map((o) => [o.kind, o.metadata?.name]),
    ).toEqual([['Application', 'edge-cilium']]);
    let valuesYaml = '';
    expect(synth((c) => (valuesYaml = new CiliumKubeProxyless(c, 'Cilium', { version: '1.16.19', values, delivery: 'values' }).valuesYaml))).toEqual(
      [],
    );
    expect(parse(valuesYaml)).toEqual(values);
  });

  test('fails when Application settings come with another delivery', () => {
    expect(() =>
      synth((c) => new CiliumKubeProxyless(c, 'Cilium', { version: '1.16.19', values, delivery: 'k3s', application: { name: 'x' } })),
    ).toThrow('CiliumKubeProxyless application settings apply to delivery argocd only (delivery is k3s)');
  });
});

// The charts' values.yaml from the shared reference folder.
const CHART_VALUES_DIR = sharedPath('schemas', 'cilium');

describeWithShared('schemas/cilium')("against the charts' values.yaml", () => {
  const versions = fs.readdirSync(CHART_VALUES_DIR).filter((d) => fs.existsSync(path.join(CHART_VALUES_DIR, d, 'values.yaml')));

  test('the reference folder holds the values of every minor netscale renders', () => {
    expect(versions.map((v) => v.split('.').slice(0, 2).join('.'))).toEqual(
      expect.arrayContaining(['1.13', '1.14', '1.15', '1.16', '1.17', '1.18', '1.19', '1.20']),
    );
  });

  test.each(versions)('every top-level key rendered for %s is one its values.yaml documents', (version) => {
    const text = fs.readFileSync(path.join(CHART_VALUES_DIR, version, 'values.yaml'), 'utf8');
    // Commented keys count: the chart reads kubeProxyReplacement and loadBalancer.mode without a default.
    const documented = new Set([...text.matchAll(/^#?\s?([A-Za-z0-9]+):/gm)].map((m) => m[1]));
    for (const setting of Object.keys(SETTINGS) as Setting[]) {
      const spec = cilium({ version, ...SETTINGS[setting] });
      if (errors(checkCilium(spec, CTX)).length > 0) continue;
      const missing = Object.keys(ciliumValues(spec).values).filter((k) => !documented.has(k));
      expect([setting, missing]).toEqual([setting, []]);
    }
  });
});

describe("spec.values against the chart's own keys", () => {
  test('fails on a key one typo away from a chart key, saying which one was meant', () => {
    const found = checkCilium(cilium({ version: '1.18.12', values: { kubeProxyReplacment: true } }), CTX);
    expect(errors(found)).toEqual([
      expect.objectContaining({
        path: ['spec', 'cilium', 'values', 'kubeProxyReplacment'],
        message:
          'unknown key (did you mean "kubeProxyReplacement"?): the cilium 1.18.12 chart neither sets it in values.yaml nor reads it, so it ' +
          'would be ignored',
        atKey: true,
      }),
    ]);
    expect(onlyError(cilium({ version: '1.13.4', values: { hubble: { relya: { replicas: 2 } } } }))).toEqual({
      path: 'spec.cilium.values.hubble.relya',
      message: 'unknown key (did you mean "relay"?): the cilium 1.13.4 chart neither sets it in values.yaml nor reads it, so it would be ignored',
    });
  });

  test('warns, without failing, on a key the chart does not know and nothing resembles', () => {
    const found = checkCilium(cilium({ version: '1.20.0', values: { someFutureSwitch: { enabled: true } } }), CTX);
    expect(errors(found)).toEqual([]);
    expect(at(found, 'values', 'someFutureSwitch')).toEqual([
      expect.objectContaining({
        severity: 'warning',
        message: expect.stringContaining('is not a key of the cilium 1.20.0 chart (not in its values.yaml, not read by its templates)'),
      }),
    ]);
  });

  test('passes keys the chart reads but values.yaml only mentions in a comment, and maps it passes through whole', () => {
    const spec = cilium({
      version: '1.16.19',
      values: {
        loadBalancer: { algorithm: 'maglev' },
        maglev: { tableSize: 65521 },
        nodeSelector: { 'node.example.com/pool': 'net' },
        podAnnotations: { 'example.com/owner': 'platform' },
        operator: { affinity: { nodeAffinity: {} }, resources: { limits: { cpu: '1' } } },
        bpf: { mapDynamicSizeRatio: 0.005 },
      },
    });
    expect(checkCilium(spec, CTX).filter((f) => f.path.includes('values'))).toEqual([]);
  });

  test('reads the keys of the chart minor: envoy arrived in 1.14', () => {
    expect(at(checkCilium(cilium({ version: '1.13.4', values: { envoy: { enabled: true } } }), CTX), 'values', 'envoy')).toEqual([
      expect.objectContaining({ severity: 'warning' }),
    ]);
    expect(at(checkCilium(cilium({ version: '1.14.5', values: { envoy: { enabled: true } } }), CTX), 'values', 'envoy')).toEqual([]);
  });

  test('fails on values that turn the roll-out checksums off', () => {
    expect(onlyError(cilium({ values: { rollOutCiliumPods: false } }))).toEqual({
      path: 'spec.cilium.values.rollOutCiliumPods',
      message: "is always true in netscale's values: without it a values change never reaches the running agents; remove it",
    });
    expect(onlyError(cilium({ values: { operator: { rollOutPods: false } } })).path).toBe('spec.cilium.values.operator.rollOutPods');
  });

  test('refuses credentials at their key, never echoing them; a public certificate passes', () => {
    const found = errors(
      checkCilium(
        cilium({ values: { etcd: { password: 'p4ssw0rd-p4ssw0rd' }, tls: { ca: { cert: 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUI=' } } } }),
        CTX,
      ),
    );
    expect(found.map((f) => [f.path.join('.'), f.atKey])).toEqual([['spec.cilium.values.etcd.password', true]]);
    expect(found[0].message).toMatch(/^holds a credential, which must never be committed/);
    expect(found[0].message).not.toContain('p4ssw0rd');
  });
});

describe('the node network', () => {
  const native = (ipv4NativeRoutingCidr: string) =>
    cilium({ routingMode: 'native', ipv4NativeRoutingCidr, values: { ipam: { mode: 'kubernetes' } } });

  test('warns when ipv4NativeRoutingCidr contains or overlaps spec.nodeCidr: pod traffic to other hosts there leaves unmasqueraded', () => {
    expect(checkCilium(native('10.0.0.0/8'), { ...CTX, nodeCidr: '10.128.0.0/24' })).toEqual([
      expect.objectContaining({
        severity: 'warning',
        path: ['spec', 'cilium', 'ipv4NativeRoutingCidr'],
        message:
          '10.0.0.0/8 contains the node network 10.128.0.0/24 (spec.nodeCidr): Cilium does not masquerade traffic to this range, so pod ' +
          'traffic to other hosts on the node network leaves with pod source addresses those hosts cannot answer; narrow it to the pod CIDRs',
      }),
    ]);
    expect(checkCilium(native('10.0.0.0/24'), { ...CTX, nodeCidr: '10.0.0.0/16' })[0].message).toMatch(
      /^10\.0\.0\.0\/24 overlaps the node network 10\.0\.0\.0\/16/,
    );
  });

  test('says nothing when they are apart, or when the profile gives no node network', () => {
    expect(checkCilium(native('10.42.0.0/16'), { ...CTX, nodeCidr: '192.168.0.0/24' })).toEqual([]);
    expect(checkCilium(native('10.0.0.0/8'), CTX)).toEqual([]);
  });
});

describe('the Secrets the chart generates on every render', () => {
  const ignored = (version: string, values: Record<string, unknown>) => ciliumIgnoreDifferences(version, values).map((d) => d.name);

  test("1.13 generates Hubble's own CA too; no chart has a hubble-ca-cert ConfigMap", () => {
    const relay = { hubble: { relay: { enabled: true } } };
    expect(ignored('1.13.4', relay)).toEqual(['cilium-ca', 'hubble-ca-secret', 'hubble-relay-client-certs', 'hubble-server-certs']);
    expect(ignored('1.14.5', relay)).toEqual(['cilium-ca', 'hubble-relay-client-certs', 'hubble-server-certs']);
    for (const v of ['1.13.4', '1.16.19', '1.20.0'])
      expect(ciliumIgnoreDifferences(v, relay).every((d) => d.kind === 'Secret' && d.name !== 'hubble-ca-cert')).toBe(true);
  });

  test('follow the values: relay, relay TLS and UI, metrics TLS from 1.16, and none when Helm does not make the certificates', () => {
    expect(ignored('1.18.12', {})).toEqual(['cilium-ca', 'hubble-server-certs']);
    expect(
      ignored('1.18.12', {
        hubble: { relay: { enabled: true, tls: { server: { enabled: true } } }, ui: { enabled: true }, metrics: { tls: { enabled: true } } },
      }),
    ).toEqual([
      'cilium-ca',
      'hubble-metrics-server-certs',
      'hubble-relay-client-certs',
      'hubble-relay-server-certs',
      'hubble-server-certs',
      'hubble-ui-client-certs',
    ]);
    expect(ignored('1.18.12', { hubble: { tls: { auto: { method: 'cronJob' } } } })).toEqual([]);
    const [app] = synth((c) => new CiliumApplication(c, 'Cilium', { version: '1.18.12', values: { hubble: { enabled: false } } }));
    expect((app.spec as Record<string, unknown>).ignoreDifferences).toBeUndefined();
  });
});
