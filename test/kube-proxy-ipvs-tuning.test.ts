import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { checkKubeProxy } from '../lib/components/kube-proxy/component';
import {
  defaultKubeProxyConfiguration,
  k3sKubeProxyArgs,
  kubeProxyConfiguration,
  renderKubeProxyConfiguration,
  unknownKubeProxyFields,
} from '../lib/components/kube-proxy/configuration';
import { conntrackSizing } from '../lib/components/kube-proxy/conntrack';
import { IPVS_SCHEDULERS, KUBE_PROXY_CONFIGURATION_FIELDS } from '../lib/components/kube-proxy/facts';
import { KubeProxyIpvsTuning, KubeProxyIpvsTuningProps } from '../lib/components/kube-proxy/kube-proxy-ipvs-tuning';
import { kubeProxySchema, KubeProxySpec } from '../lib/components/kube-proxy/schema';
import { ipvsModuleStep, kubeProxyRestartStep } from '../lib/components/kube-proxy/steps';
import { ClusterContext } from '../lib/core/cluster';
import { isZeroDuration } from '../lib/core/duration';
import { formatPath } from '../lib/core/findings';
import { ownershipOf } from '../lib/core/rollout';
import { K8sObject, validateObject } from './support/validate';
import { loadSpec } from './support/profiles';
import { testChart } from './support/charts';

/** Seed 002 on 16-core nodes. */
const SEED: KubeProxyIpvsTuningProps = {
  mode: 'ipvs',
  scheduler: 'lc',
  syncPeriod: '30s',
  minSyncPeriod: '0s',
  conntrackMaxPerCore: 144420,
  conntrackMin: 2310720,
};

/** Every tuned field set, so the field-list test sees them all. */
const EVERY_FIELD: KubeProxyIpvsTuningProps = {
  ...SEED,
  strictARP: true,
  excludeCIDRs: ['10.10.0.0/16'],
  udpTimeout: '10s',
  tcpTimeout: '15m',
  tcpFinTimeout: '30s',
  tcpEstablishedTimeout: '12h',
  tcpCloseWaitTimeout: '30m',
  clusterCIDR: '10.244.0.0/16',
  metricsBindAddress: '0.0.0.0:10249',
};

/** What `kubectl get cm kube-proxy` shows on a kubeadm cluster, keys in an odd order. */
const KUBEADM_BASE = `kind: KubeProxyConfiguration
apiVersion: kubeproxy.config.k8s.io/v1alpha1
mode: ""
clusterCIDR: 10.244.0.0/16
hostnameOverride: ""
featureGates:
  SomeGate: true
clientConnection:
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
  qps: 0
iptables:
  masqueradeAll: true
  masqueradeBit: null
  minSyncPeriod: 0s
  syncPeriod: 0s
ipvs:
  scheduler: ""
  strictARP: false
  syncPeriod: 0s
  minSyncPeriod: 0s
  excludeCIDRs: null
conntrack:
  maxPerCore: null
  min: null
  tcpEstablishedTimeout: null
  tcpCloseWaitTimeout: null
nodePortAddresses: null
`;

function synth(props: KubeProxyIpvsTuningProps): { tuning: KubeProxyIpvsTuning; objects: K8sObject[] } {
  const chart = testChart();
  const tuning = new KubeProxyIpvsTuning(chart, 'KubeProxy', props);
  return { tuning, objects: Testing.synth(chart) as K8sObject[] };
}

/** The upstream v1alpha1 field list, recorded from kube-proxy's types.go (see the fixture's source). */
const UPSTREAM_FIELDS: Record<string, string[]> = JSON.parse(
  fs.readFileSync(path.join(__dirname, 'fixtures', 'kube-proxy-v1alpha1-fields.json'), 'utf8'),
).fields;

/** Dotted paths of a configuration that `fields` (struct path -> field names) does not list; featureGates hold gate names. */
function fieldsOutside(config: unknown, fields: Record<string, string[]>, at = '', shown = ''): string[] {
  if (Array.isArray(config)) return config.flatMap((item, i) => fieldsOutside(item, fields, `${at}[]`, `${shown}[${i}]`));
  if (config === null || typeof config !== 'object' || fields[at] === undefined) return [];
  return Object.entries(config).flatMap(([k, v]) => {
    const child = at === '' ? k : `${at}.${k}`;
    const childShown = shown === '' ? k : `${shown}.${k}`;
    if (!fields[at].includes(k)) return [childShown];
    return k === 'featureGates' ? [] : fieldsOutside(v, fields, child, childShown);
  });
}

function configOf(obj: K8sObject, key = 'config.conf'): Record<string, unknown> {
  return parse((obj.data as Record<string, string>)[key]) as Record<string, unknown>;
}

const CTX: ClusterContext = {
  name: 'c',
  kubernetesVersion: '1.30',
  nodes: 1000,
  cpuPerNode: 16,
  platform: 'kubeadm',
  cni: 'calico',
  networkPolicy: 'direct',
  networkPolicyGiven: false,
  argocd: false,
  argocdInCluster: false,
  kubeProxyReplaced: false,
};
const BASE_SPEC: KubeProxySpec = { baseConfig: KUBEADM_BASE };

/** A kubeadm cluster's config.conf in IPVS mode, as a migration to nftables starts from it. */
const IPVS_BASE = `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
clusterCIDR: 10.64.0.0/14
iptables:
  masqueradeAll: true
  masqueradeBit: 15
mode: ipvs
ipvs:
  scheduler: lc
  strictARP: true
  syncPeriod: 30s
  minSyncPeriod: 0s
`;

/** The config.conf a profile's kube-proxy section renders. */
function renderedConfig(spec: Record<string, unknown>): Record<string, unknown> {
  const { loaded, errors } = loadSpec({
    platform: 'kubeadm',
    cni: 'calico',
    nodes: 40,
    kubernetesVersion: '1.33',
    calico: { version: '3.30.5' },
    ...spec,
  });
  expect(errors).toEqual([]);
  return configOf(synth(loaded!.cluster.kubeProxy!).objects[0]);
}

function check(spec: KubeProxySpec, ctx: Partial<ClusterContext> = {}) {
  return checkKubeProxy({ ...BASE_SPEC, ...spec }, { ...CTX, ...ctx }).map((f) => ({
    severity: f.severity,
    path: formatPath(f.path),
    message: f.message,
  }));
}

describe('the profile schema', () => {
  test.each(IPVS_SCHEDULERS.map((s) => [s]))('accepts the IPVS scheduler %s', (scheduler) => {
    expect(kubeProxySchema.safeParse({ scheduler }).success).toBe(true);
  });

  test('fails on a scheduler IPVS does not have, listing the valid ones', () => {
    const result = kubeProxySchema.safeParse({ scheduler: 'round-robin' });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0].message).toBe('must be an IPVS scheduler: rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, mh');
  });

  test("the IPVS schedulers are the kernel's: rr wrr lc wlc lblc lblcr dh sh sed nq mh", () => {
    expect([...IPVS_SCHEDULERS]).toEqual(['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'mh']);
  });
});

describe('KubeProxyIpvsTuning on kubeadm', () => {
  test('renders seed 002 into config.conf of kube-system/kube-proxy, a ConfigMap shared with the platform', () => {
    const { objects, tuning } = synth({ ...SEED, baseConfig: KUBEADM_BASE });
    expect(objects).toHaveLength(1);
    const cm = objects[0];
    expect(cm.kind).toBe('ConfigMap');
    expect(cm.metadata).toEqual({ name: 'kube-proxy', namespace: 'kube-system' });
    expect(ownershipOf(tuning.configMap!)).toBe('shared');
    // kubeconfig.conf stays kubeadm's: the patch owns config.conf only.
    expect(Object.keys(cm.data as object)).toEqual(['config.conf']);
    const config = configOf(cm);
    expect(config.mode).toBe('ipvs');
    expect(config.ipvs).toEqual({ scheduler: 'lc', strictARP: false, syncPeriod: '30s', minSyncPeriod: '0s', excludeCIDRs: null });
    expect(config.conntrack).toEqual({ maxPerCore: 144420, min: 2310720, tcpEstablishedTimeout: null, tcpCloseWaitTimeout: null });
    expect(validateObject(cm)).toEqual([]);
  });

  test('keeps every field of baseConfig and changes only the tuned ones', () => {
    const base = parse(KUBEADM_BASE) as Record<string, unknown>;
    const config = kubeProxyConfiguration(SEED, { baseConfig: KUBEADM_BASE });
    expect(config.featureGates).toEqual({ SomeGate: true });
    expect(config.clusterCIDR).toBe('10.244.0.0/16');
    expect(config.hostnameOverride).toBe('');
    expect(config.clientConnection).toEqual(base.clientConnection);
    expect(config.iptables).toEqual(base.iptables);
    expect(config.nodePortAddresses).toBeNull();
    const changed = Object.keys(base).filter((k) => JSON.stringify(base[k]) !== JSON.stringify(config[k]));
    expect(changed.sort()).toEqual(['conntrack', 'ipvs', 'mode']);
    expect(Object.keys(config).sort()).toEqual(Object.keys(base).sort());
  });

  test('renders the same bytes whatever the key order of baseConfig', () => {
    const flipped =
      `apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: ` + `KubeProxyConfiguration\n${KUBEADM_BASE.replace(/^kind: .*\napiVersion: .*\n/, '')}`;
    const a = renderKubeProxyConfiguration(kubeProxyConfiguration(SEED, { baseConfig: KUBEADM_BASE }));
    const b = renderKubeProxyConfiguration(kubeProxyConfiguration(SEED, { baseConfig: flipped }));
    expect(a).toBe(b);
    const topKeys = a
      .split('\n')
      .filter((l) => /^[a-zA-Z]/.test(l))
      .map((l) => l.split(':')[0]);
    expect(topKeys).toEqual([...topKeys].sort());
  });

  test("without baseConfig renders a complete configuration from kube-proxy's defaults", () => {
    const { objects } = synth(SEED);
    const config = configOf(objects[0]);
    expect(config).toEqual({
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
      kind: 'KubeProxyConfiguration',
      bindAddress: '0.0.0.0',
      bindAddressHardFail: false,
      clientConnection: {
        acceptContentTypes: '',
        burst: 10,
        contentType: 'application/vnd.kubernetes.protobuf',
        kubeconfig: '/var/lib/kube-proxy/kubeconfig.conf',
        qps: 5,
      },
      configSyncPeriod: '15m0s',
      conntrack: { maxPerCore: 144420, min: 2310720, tcpCloseWaitTimeout: '1h0m0s', tcpEstablishedTimeout: '24h0m0s' },
      enableProfiling: false,
      healthzBindAddress: '0.0.0.0:10256',
      hostnameOverride: '',
      iptables: { masqueradeAll: false, masqueradeBit: 14, minSyncPeriod: '1s', syncPeriod: '30s' },
      ipvs: { minSyncPeriod: '0s', scheduler: 'lc', strictARP: false, syncPeriod: '30s', tcpFinTimeout: '0s', tcpTimeout: '0s', udpTimeout: '0s' },
      metricsBindAddress: '127.0.0.1:10249',
      mode: 'ipvs',
      oomScoreAdj: -999,
    });
    expect(validateObject(objects[0])).toEqual([]);
  });

  test('takes conntrack numbers from conntrackSizing (seed: 2310720 on 16 cores)', () => {
    const sizing = conntrackSizing({ cpuPerNode: 16, conntrackMax: 2310720 });
    const config = kubeProxyConfiguration({ conntrackMaxPerCore: sizing.maxPerCore, conntrackMin: sizing.min });
    expect(config.conntrack).toMatchObject({ maxPerCore: 144420, min: 2310720 });
  });

  test('renders the sync periods into the nftables section in nftables mode, without an ipvs section', () => {
    const config = kubeProxyConfiguration({ mode: 'nftables', syncPeriod: '1m', minSyncPeriod: '2s' });
    expect(config.mode).toBe('nftables');
    expect(config.nftables).toEqual({ masqueradeAll: false, masqueradeBit: 14, syncPeriod: '1m', minSyncPeriod: '2s' });
    expect(config.ipvs).toBeUndefined();
  });

  test('quotes strings as YAML 1.1 does, so kube-proxy reads them back as strings', () => {
    const text = renderKubeProxyConfiguration({ ...defaultKubeProxyConfiguration('ipvs', '/k'), hostnameOverride: 'on' });
    expect(text).toContain('hostnameOverride: "on"');
    expect(text).toContain('acceptContentTypes: ""');
  });

  test('name, key and namespace can be overridden', () => {
    const { objects } = synth({ ...SEED, configMapName: 'kube-proxy-custom', configMapKey: 'kube-proxy.yaml', namespace: 'net-system' });
    expect(objects[0].metadata).toMatchObject({ name: 'kube-proxy-custom', namespace: 'net-system' });
    expect(Object.keys(objects[0].data as object)).toEqual(['kube-proxy.yaml']);
    expect(configOf(objects[0], 'kube-proxy.yaml').mode).toBe('ipvs');
  });

  test('exposes the restart step: kube-proxy does not reload its ConfigMap', () => {
    const { tuning } = synth(SEED);
    expect(tuning.restartStep).toBe(
      'kube-proxy reads its ConfigMap only when it starts and does not reload it on change: restart it node by node with `kubectl -n ' +
        'kube-system rollout restart ds/kube-proxy && kubectl -n kube-system rollout status ds/kube-proxy --timeout=30m`.',
    );
  });
});

describe('KubeProxyIpvsTuning on ACK and k3s', () => {
  test('ACK: ConfigMap kube-system/kube-proxy-worker, key config.conf, DaemonSet kube-proxy-worker', () => {
    const { tuning, objects } = synth({ ...SEED, platform: 'ack' });
    expect(objects[0].metadata).toMatchObject({ name: 'kube-proxy-worker', namespace: 'kube-system' });
    expect(Object.keys(objects[0].data as object)).toEqual(['config.conf']);
    expect(configOf(objects[0]).ipvs).toMatchObject({ scheduler: 'lc' });
    expect(tuning.restartStep).toContain('rollout restart ds/kube-proxy-worker');
    expect(kubeProxyRestartStep('ack')).toContain('kubectl -n kube-system rollout restart ds/kube-proxy-worker');
    expect(validateObject(objects[0])).toEqual([]);
  });

  test('kubeadm and ACK differ only in names', () => {
    const kubeadm = synth({ ...SEED, platform: 'kubeadm' }).objects[0];
    const ack = synth({ ...SEED, platform: 'ack' }).objects[0];
    expect(ack.data).toEqual(kubeadm.data);
    expect(kubeadm.metadata!.name).toBe('kube-proxy');
    expect(ack.metadata!.name).toBe('kube-proxy-worker');
  });

  test('k3s: no object; the tuning becomes kube-proxy-arg entries', () => {
    const { tuning, objects } = synth({ ...SEED, platform: 'k3s' });
    expect(objects).toEqual([]);
    expect(tuning.configMap).toBeUndefined();
    expect(tuning.k3sArgs).toEqual([
      'proxy-mode=ipvs',
      'ipvs-scheduler=lc',
      'ipvs-sync-period=30s',
      'ipvs-min-sync-period=0s',
      'conntrack-max-per-core=144420',
      'conntrack-min=2310720',
    ]);
    expect(tuning.restartStep).toContain('/etc/rancher/k3s/config.yaml');
    expect(tuning.restartStep).toContain('`systemctl restart k3s`');
    expect(tuning.restartStep).toContain('`ipvs-scheduler=lc`');
  });

  test('k3s: every tuned field has its flag', () => {
    expect(k3sKubeProxyArgs(EVERY_FIELD)).toEqual([
      'proxy-mode=ipvs',
      'ipvs-scheduler=lc',
      'ipvs-sync-period=30s',
      'ipvs-min-sync-period=0s',
      'ipvs-strict-arp=true',
      'ipvs-exclude-cidrs=10.10.0.0/16',
      'ipvs-tcp-timeout=15m',
      'ipvs-tcpfin-timeout=30s',
      'ipvs-udp-timeout=10s',
      'conntrack-max-per-core=144420',
      'conntrack-min=2310720',
      'conntrack-tcp-timeout-established=12h',
      'conntrack-tcp-timeout-close-wait=30m',
      'cluster-cidr=10.244.0.0/16',
      'metrics-bind-address=0.0.0.0:10249',
    ]);
  });

  test('fails on k3s with a ConfigMap setting', () => {
    expect(() => synth({ platform: 'k3s', baseConfig: KUBEADM_BASE })).toThrow('kube-proxy runs inside k3s and is configured by kube-proxy-arg');
  });

  test('fails on k3s with nftables sync periods, which have no flag', () => {
    expect(() => synth({ platform: 'k3s', mode: 'nftables', syncPeriod: '30s' })).toThrow(
      'KubeProxyIpvsTuning: syncPeriod: k3s takes kube-proxy settings as flags, and the nftables sync periods have no flag',
    );
  });
});

describe('the rendered configuration', () => {
  test.each([
    ['kubeadm, ipvs, every field', { ...EVERY_FIELD }],
    ['kubeadm, nftables', { mode: 'nftables', syncPeriod: '30s', minSyncPeriod: '1s', conntrackMaxPerCore: 1, clusterCIDR: '10.0.0.0/8' }],
    ['ack, ipvs, every field', { ...EVERY_FIELD, platform: 'ack' }],
    ['kubeadm with baseConfig', { ...EVERY_FIELD, baseConfig: KUBEADM_BASE }],
  ] as Array<[string, KubeProxyIpvsTuningProps]>)('%s has only fields upstream KubeProxyConfiguration v1alpha1 has', (_name, props) => {
    const { objects } = synth(props);
    expect(fieldsOutside(configOf(objects[0]), UPSTREAM_FIELDS)).toEqual([]);
  });

  test('fails on a typo: the walk names the unknown key with its path', () => {
    const config = {
      ...kubeProxyConfiguration(SEED),
      ipvs: { schedular: 'lc' },
      conntrak: {},
      logging: { vmodule: [{ filePattern: 'a', verbostiy: 2 }] },
    };
    expect(unknownKubeProxyFields(config)).toEqual(['ipvs.schedular', 'conntrak', 'logging.vmodule[0].verbostiy']);
  });

  test('featureGates hold gate names, which are not fields', () => {
    expect(unknownKubeProxyFields({ featureGates: { AnyGate: true } })).toEqual([]);
  });

  test("the field list baseConfig is checked against is upstream's, struct by struct", () => {
    expect(KUBE_PROXY_CONFIGURATION_FIELDS).toEqual(UPSTREAM_FIELDS);
  });
});

describe('constructor validation', () => {
  test('fails on a scheduler that is not an IPVS scheduler', () => {
    expect(() => synth({ scheduler: 'fastest' as never })).toThrow(
      'KubeProxyIpvsTuning: scheduler: must be an IPVS scheduler: rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, mh (got "fastest")',
    );
  });

  test('fails on IPVS settings in nftables mode, naming what nftables has instead', () => {
    expect(() => synth({ mode: 'nftables', scheduler: 'lc', strictARP: true })).toThrow(
      'KubeProxyIpvsTuning: scheduler: is ipvs.scheduler, which kube-proxy reads in IPVS mode only (mode is nftables); in nftables mode: ' +
        'none: nftables picks a Service endpoint at random, with no scheduler to choose. Remove it, or use mode: ipvs; strictARP: is ipvs.strictARP',
    );
  });

  test('fails on a duration Go cannot parse', () => {
    expect(() => synth({ syncPeriod: '30 seconds' })).toThrow(
      'KubeProxyIpvsTuning: syncPeriod: must be a Go duration such as 30s, 1m30s or 250ms (got "30 seconds")',
    );
  });

  test('fails on a conntrack number outside int32', () => {
    expect(() => synth({ conntrackMin: 2147483648 })).toThrow(
      'KubeProxyIpvsTuning: conntrackMin: must be a whole number from 0 to 2147483647 (got 2147483648)',
    );
  });

  test('fails on a baseConfig that is not a KubeProxyConfiguration', () => {
    expect(() => synth({ baseConfig: 'apiVersion: v1\nkind: ConfigMap\n' })).toThrow(
      'KubeProxyIpvsTuning: baseConfig: must be apiVersion kubeproxy.config.k8s.io/v1alpha1, kind KubeProxyConfiguration (got "v1", "ConfigMap")',
    );
  });
});

describe('checkKubeProxy', () => {
  test('seed 002 on Kubernetes 1.30 with 300 nodes and a baseConfig has no findings', () => {
    expect(check({ mode: 'ipvs', scheduler: 'lc', syncPeriod: '30s', minSyncPeriod: '0s', conntrackMax: 2310720 }, { nodes: 300 })).toEqual([]);
  });

  test('fails on nftables before Kubernetes 1.29, which has no nftables mode', () => {
    expect(check({ mode: 'nftables' }, { kubernetesVersion: '1.28' })).toEqual([
      {
        severity: 'error',
        path: 'spec.kubeProxy.mode',
        message:
          'nftables mode exists from Kubernetes 1.29 (alpha, behind the NFTablesProxyMode feature gate); this cluster runs 1.28: stay on ipvs ' +
          'until it is upgraded',
      },
    ]);
  });

  test('1.29 and 1.30 get nftables only with the alpha feature gate, which netscale turns on', () => {
    // kube_features.go: NFTablesProxyMode alpha (off) in 1.29, beta (on) in 1.31, GA (locked) in 1.33.
    for (const version of ['1.29', '1.30.2']) {
      expect(check({ mode: 'nftables' }, { kubernetesVersion: version })).toEqual([
        expect.objectContaining({
          severity: 'warning',
          path: 'spec.kubeProxy.mode',
          message: expect.stringContaining(
            `nftables is alpha in Kubernetes ${version}: kube-proxy refuses the mode without the NFTablesProxyMode feature gate, ` +
              'which netscale turns on in featureGates',
          ),
        }),
      ]);
      const config = renderedConfig({
        kubernetesVersion: version,
        kubeProxy: { mode: 'nftables', baseConfig: `${IPVS_BASE}featureGates:\n  SomeGate: true\n` },
      });
      expect(config.featureGates).toEqual({ NFTablesProxyMode: true, SomeGate: true });
    }
    for (const version of ['1.31', '1.33'])
      expect(renderedConfig({ kubernetesVersion: version, kubeProxy: { mode: 'nftables', baseConfig: IPVS_BASE } }).featureGates).toBeUndefined();
    // k3s takes the gate as a flag.
    expect(k3sKubeProxyArgs({ mode: 'nftables', featureGates: { NFTablesProxyMode: true } })).toEqual([
      'proxy-mode=nftables',
      'feature-gates=NFTablesProxyMode=true',
    ]);
  });

  test('warns that nftables is beta on 1.31 and 1.32, and fails on its gate turned off from 1.33, where it is locked', () => {
    for (const version of ['1.31', '1.32.4']) {
      expect(check({ mode: 'nftables' }, { kubernetesVersion: version, cni: 'terway', platform: 'kubeadm' })).toEqual([
        { severity: 'warning', path: 'spec.kubeProxy.mode', message: `nftables is beta in Kubernetes ${version} (GA in 1.33)` },
      ]);
    }
    expect(check({ mode: 'nftables' }, { kubernetesVersion: '1.33', cni: 'terway' })).toEqual([]);
    expect(
      check(
        { mode: 'nftables', baseConfig: `${IPVS_BASE}featureGates:\n  NFTablesProxyMode: false\n` },
        { kubernetesVersion: '1.33', cni: 'terway' },
      ),
    ).toEqual([
      expect.objectContaining({
        severity: 'error',
        path: 'spec.kubeProxy.baseConfig',
        message: expect.stringContaining('sets featureGates.NFTablesProxyMode: false, but the gate is GA and locked on from Kubernetes 1.33'),
      }),
    ]);
  });

  test('warns that IPVS is deprecated from Kubernetes 1.35, with the releases left and the way out', () => {
    expect(check({ mode: 'ipvs' }, { kubernetesVersion: '1.35' })).toEqual([
      {
        severity: 'warning',
        path: 'spec.kubeProxy.mode',
        message:
          'IPVS mode is deprecated from Kubernetes 1.35 and this cluster runs 1.35: kube-proxy warns at start; IPVS is planned to be off by ' +
          'default in 1.40 (5 minor releases from here) and removed in 1.43. Move to mode: nftables (GA since 1.33); ' +
          'the review gives the order and the rollback',
      },
    ]);
    expect(check({}, { kubernetesVersion: '1.36' })[0]).toMatchObject({ path: 'spec.kubeProxy', severity: 'warning' });
    expect(check({ mode: 'ipvs' }, { kubernetesVersion: '1.40' })[0].message).toContain(
      'from 1.40 kube-proxy is planned to refuse IPVS mode unless the KubeProxyIPVS feature gate is on',
    );
    expect(check({ mode: 'ipvs' }, { kubernetesVersion: '1.34' })).toEqual([]);
  });

  test('fails on nodes older than Linux 5.13 in nftables mode', () => {
    expect(check({ mode: 'nftables' }, { kubernetesVersion: '1.33', cni: 'terway', nodeKernel: '5.10.0-28-amd64' })).toEqual([
      {
        severity: 'error',
        path: 'spec.nodeKernel',
        message: "5.10.0-28-amd64 is older than Linux 5.13, which kube-proxy's nftables mode needs: keep ipvs until the nodes run 5.13 or newer",
      },
    ]);
    expect(check({ mode: 'nftables' }, { kubernetesVersion: '1.33', cni: 'terway', nodeKernel: '5.13' })).toEqual([]);
    expect(check({ mode: 'ipvs' }, { kubernetesVersion: '1.33', cni: 'terway', nodeKernel: '4.19' })).toEqual([]);
  });

  test('on ACK, nftables only from Kubernetes 1.35, the release Alibaba documents it for', () => {
    // aliyun/terraform-provider-alicloud cs_managed_kubernetes: proxy_mode nftables "Supported only for clusters running
    // Kubernetes 1.35 or later", ForceNew.
    expect(check({ mode: 'nftables', baseConfig: undefined }, { platform: 'ack', cni: 'terway', kubernetesVersion: '1.34' })[0]).toEqual({
      severity: 'error',
      path: 'spec.kubeProxy.mode',
      message:
        "ACK's managed kube-proxy offers nftables only on Kubernetes 1.35 and newer (iptables and IPVS before); this cluster runs 1.34: stay " +
        'on ipvs, or upgrade the cluster first',
    });
    const ack = (baseConfig: string) => check({ mode: 'nftables', baseConfig }, { platform: 'ack', cni: 'terway', kubernetesVersion: '1.35' });
    expect(ack(IPVS_BASE.replace('mode: ipvs', 'mode: nftables').replace(/ipvs:\n( {2}.*\n)+/, ''))).toEqual([]);
    expect(ack(IPVS_BASE)).toEqual([
      expect.objectContaining({
        severity: 'warning',
        message: expect.stringContaining("ACK sets kube-proxy's mode when the cluster is created (proxy_mode is ForceNew)"),
      }),
    ]);
  });

  test('conntrackTcpBeLiberal renders conntrack.tcpBeLiberal from 1.29, and fails before', () => {
    expect(renderedConfig({ kubeProxy: { mode: 'nftables', conntrackTcpBeLiberal: true, baseConfig: IPVS_BASE } }).conntrack).toEqual({
      tcpBeLiberal: true,
    });
    expect(check({ conntrackTcpBeLiberal: true }, { kubernetesVersion: '1.28' })).toEqual([
      {
        severity: 'error',
        path: 'spec.kubeProxy.conntrackTcpBeLiberal',
        message: 'conntrack.tcpBeLiberal exists in KubeProxyConfiguration from Kubernetes 1.29; this cluster runs 1.28: remove it',
      },
    ]);
    expect(k3sKubeProxyArgs({ mode: 'ipvs', conntrackTcpBeLiberal: true })).toContain('conntrack-tcp-be-liberal=true');
  });

  test('warns on minSyncPeriod 0s above 500 nodes', () => {
    expect(check({ minSyncPeriod: '0s' }, { nodes: 501 })).toEqual([
      {
        severity: 'warning',
        path: 'spec.kubeProxy.minSyncPeriod',
        message:
          "0s on 501 nodes resyncs every node's rules on every endpoint change, which in a cluster this size is nearly constant: use 1s " +
          "(upstream's advice) so changes are batched",
      },
    ]);
    expect(check({ minSyncPeriod: '0s' }, { nodes: 500 })).toEqual([]);
    expect(check({ minSyncPeriod: '1s' }, { nodes: 5000 })).toEqual([]);
  });

  test('zero durations are recognised in every spelling', () => {
    expect(['0', '0s', '0ms', '0h0m0s', '0.0s'].map(isZeroDuration)).toEqual([true, true, true, true, true]);
    expect(['1s', '0h1m0s', '500ms'].map(isZeroDuration)).toEqual([false, false, false]);
  });

  test('fails on conntrackMax together with conntrackMaxPerCore or conntrackMin', () => {
    expect(check({ conntrackMax: 2310720, conntrackMaxPerCore: 144420, conntrackMin: 2310720 })).toEqual([
      {
        severity: 'error',
        path: 'spec.kubeProxy.conntrackMax',
        message:
          'sets maxPerCore and min itself (maxPerCore = ceil(conntrackMax / cpuPerNode), min = conntrackMax): remove conntrackMaxPerCore and ' +
          'conntrackMin, or conntrackMax',
      },
    ]);
  });

  test('fails on conntrackMax without spec.cpuPerNode', () => {
    expect(check({ conntrackMax: 2310720 }, { cpuPerNode: undefined })).toEqual([
      { severity: 'error', path: 'spec.kubeProxy.conntrackMax', message: 'needs spec.cpuPerNode: maxPerCore = ceil(conntrackMax / cpuPerNode)' },
    ]);
  });

  test('warns that explicit conntrack fields are not checked without spec.cpuPerNode', () => {
    expect(check({ conntrackMaxPerCore: 100 }, { cpuPerNode: undefined })).toEqual([
      expect.objectContaining({
        severity: 'warning',
        path: 'spec.kubeProxy.conntrackMaxPerCore',
        message: expect.stringContaining('set spec.cpuPerNode'),
      }),
    ]);
  });

  test('fails on int32 overflow of the conntrack table', () => {
    expect(check({ conntrackMaxPerCore: 40000000 }, { cpuPerNode: 64 })).toEqual([
      {
        severity: 'error',
        path: 'spec.kubeProxy.conntrackMaxPerCore',
        message: 'maxPerCore 40000000 x 64 CPUs = 2560000000 exceeds the int32 limit 2147483647: the kernel refuses nf_conntrack_max above it',
      },
    ]);
    expect(check({ conntrackMax: 3000000000 })[0]).toMatchObject({
      severity: 'error',
      path: 'spec.kubeProxy.conntrackMax',
      message: 'conntrack.min 3000000000 exceeds the int32 limit 2147483647',
    });
  });

  test("warns when the conntrack table is below kube-proxy's default", () => {
    expect(check({ conntrackMax: 200000 })).toEqual([
      {
        severity: 'warning',
        path: 'spec.kubeProxy.conntrackMax',
        message:
          "nf_conntrack_max would be 200000 (max(12500 x 16, 200000)), below kube-proxy's default 524288 (max(32768 x 16, 131072)) on 16-CPU " +
          'nodes: a full table drops new connections',
      },
    ]);
  });

  test('fails on a scheduler in nftables mode: IPVS only, and nftables has none', () => {
    expect(check({ mode: 'nftables', scheduler: 'lc' }, { kubernetesVersion: '1.33', cni: 'terway' })).toEqual([
      {
        severity: 'error',
        path: 'spec.kubeProxy.scheduler',
        message:
          'is ipvs.scheduler, which kube-proxy reads in IPVS mode only (mode is nftables); in nftables mode: none: nftables picks a Service ' +
          'endpoint at random, with no scheduler to choose. Remove it, or use mode: ipvs',
      },
    ]);
  });

  test('fails on each other IPVS setting in nftables mode, naming its nftables equivalent or none', () => {
    const findings = check(
      { mode: 'nftables', strictARP: true, udpTimeout: '10s', excludeCIDRs: ['10.0.0.0/8'], tcpTimeout: '15m', tcpFinTimeout: '30s' },
      { kubernetesVersion: '1.33', cni: 'terway' },
    );
    expect(findings.map((f) => [f.path, f.message.split('in nftables mode: ')[1]])).toEqual([
      [
        'spec.kubeProxy.strictARP',
        "none: nftables puts no Service address on a node interface (IPVS's kube-ipvs0), so there are no ARP replies to restrict. Remove it, " +
          'or use mode: ipvs',
      ],
      [
        'spec.kubeProxy.excludeCIDRs',
        'none: nftables flushes only its own kube-proxy table, never rules it did not write. Remove it, or use mode: ipvs',
      ],
      ['spec.kubeProxy.udpTimeout', 'conntrack.udpTimeout (Kubernetes 1.29 and newer), set in baseConfig. Remove it, or use mode: ipvs'],
      ['spec.kubeProxy.tcpTimeout', 'conntrack.tcpEstablishedTimeout (the tcpEstablishedTimeout field). Remove it, or use mode: ipvs'],
      [
        'spec.kubeProxy.tcpFinTimeout',
        'none: the nearest kube-proxy setting is conntrack.tcpCloseWaitTimeout (the tcpCloseWaitTimeout field). Remove it, or use mode: ipvs',
      ],
    ]);
  });

  test('fails on a kubeProxy section with Cilium, which replaces kube-proxy', () => {
    const message = 'configures kube-proxy, but Cilium replaces kube-proxy in this cluster (kubeProxyReplacement): remove the kubeProxy section';
    expect(check({}, { cni: 'cilium', kubeProxyReplaced: true })).toEqual([{ severity: 'error', path: 'spec.kubeProxy', message }]);
  });

  test('a profile whose Cilium replaces kube-proxy gets one error, at the kubeProxy section to remove', () => {
    const message = 'configures kube-proxy, but Cilium replaces kube-proxy in this cluster (kubeProxyReplacement): remove the kubeProxy section';
    const cilium = { version: '1.18.12', k8sServiceHost: '10.0.0.1', k8sServicePort: 6443 };
    for (const cni of ['cilium', 'calico'] as const) {
      const { errors } = loadSpec({
        platform: 'kubeadm',
        cni,
        kubernetesVersion: '1.30',
        nodes: 10,
        cilium,
        kubeProxy: { baseConfig: KUBEADM_BASE },
      });
      expect(errors.filter((e) => e.includes('spec.kubeProxy:'))).toEqual([expect.stringContaining(message)]);
    }
  });

  test('fails on k3s with a ConfigMap setting', () => {
    expect(check({ configMapName: 'kube-proxy' }, { platform: 'k3s' })).toEqual([
      {
        severity: 'error',
        path: 'spec.kubeProxy.baseConfig',
        message:
          'does not apply on k3s: kube-proxy runs inside k3s and is configured by kube-proxy-arg in /etc/rancher/k3s/config.yaml, not by a ConfigMap',
      },
      {
        severity: 'error',
        path: 'spec.kubeProxy.configMapName',
        message:
          'does not apply on k3s: kube-proxy runs inside k3s and is configured by kube-proxy-arg in /etc/rancher/k3s/config.yaml, not by a ConfigMap',
      },
    ]);
  });

  test('fails on k3s with nftables sync periods', () => {
    const findings = checkKubeProxy({ mode: 'nftables', minSyncPeriod: '1s' }, { ...CTX, platform: 'k3s', kubernetesVersion: '1.33', cni: 'terway' });
    expect(findings).toEqual([
      expect.objectContaining({ severity: 'error', path: ['spec', 'kubeProxy', 'minSyncPeriod'], message: expect.stringContaining('have no flag') }),
    ]);
  });

  test('fails on a baseConfig that is not a KubeProxyConfiguration', () => {
    expect(check({ baseConfig: 'kind: KubeletConfiguration\napiVersion: kubelet.config.k8s.io/v1beta1\n' })).toEqual([
      {
        severity: 'error',
        path: 'spec.kubeProxy.baseConfig',
        message:
          'must be apiVersion kubeproxy.config.k8s.io/v1alpha1, kind KubeProxyConfiguration (got "kubelet.config.k8s.io/v1beta1", ' +
          '"KubeletConfiguration"): paste the config.conf key of the kube-proxy ConfigMap',
      },
    ]);
    expect(check({ baseConfig: 'a: [' })[0]).toMatchObject({ severity: 'error', message: expect.stringContaining('is not valid YAML') });
  });

  test('warns on baseConfig fields v1alpha1 does not have', () => {
    expect(check({ baseConfig: `${KUBEADM_BASE}udpIdleTimeout: 250ms\n` })).toEqual([
      {
        severity: 'warning',
        path: 'spec.kubeProxy.baseConfig',
        message:
          'has fields KubeProxyConfiguration v1alpha1 does not know: udpIdleTimeout; they are kept as given, but check for typos or fields ' +
          'removed upstream',
      },
    ]);
  });

  test('warns that without baseConfig the whole config.conf is replaced', () => {
    expect(checkKubeProxy({}, { ...CTX, platform: 'ack' }).map((f) => [f.severity, formatPath(f.path), f.message])).toEqual([
      [
        'warning',
        'spec.kubeProxy',
        "has no baseConfig, so config.conf is rendered whole from kube-proxy's defaults and replaces what the cluster has today (clusterCIDR, " +
          'featureGates, hostnameOverride ...): paste the current one as baseConfig from `kubectl -n kube-system get cm kube-proxy-worker -o ' +
          "jsonpath='{.data.config\\.conf}'`",
      ],
    ]);
  });
});

describe('steps', () => {
  test('kubeadm restart step names the DaemonSet and says why', () => {
    expect(kubeProxyRestartStep('kubeadm')).toBe(
      'kube-proxy reads its ConfigMap only when it starts and does not reload it on change: restart it node by node with `kubectl -n ' +
        'kube-system rollout restart ds/kube-proxy && kubectl -n kube-system rollout status ds/kube-proxy --timeout=30m`.',
    );
  });

  test("IPVS needs its kernel modules, including the scheduler's", () => {
    expect(ipvsModuleStep('lc')).toContain('modprobe ip_vs ip_vs_lc');
  });
});

describe('kube-proxy from a profile', () => {
  test('explicit conntrack values render even without cpuPerNode, which only costs the checks', () => {
    const { loaded, warnings } = loadSpec({
      platform: 'kubeadm',
      cni: 'calico',
      kubernetesVersion: '1.29',
      nodes: 50,
      kubeProxy: { conntrackMaxPerCore: 65536, conntrackMin: 262144 },
    });
    expect(loaded!.cluster.kubeProxy).toMatchObject({ conntrackMaxPerCore: 65536, conntrackMin: 262144 });
    expect(warnings).toContainEqual(
      expect.stringContaining('spec.kubeProxy.conntrackMaxPerCore: nf_conntrack_max is not checked: set spec.cpuPerNode'),
    );
  });

  test('conntrackMax is sized per core from cpuPerNode (seed 002)', () => {
    const { loaded } = loadSpec({
      platform: 'kubeadm',
      cni: 'calico',
      kubernetesVersion: '1.29',
      nodes: 50,
      cpuPerNode: 16,
      kubeProxy: { conntrackMax: 2310720 },
    });
    expect(loaded!.cluster.kubeProxy).toMatchObject({ conntrackMaxPerCore: 144420, conntrackMin: 2310720 });
  });
});

describe('a baseConfig shared by many clusters', () => {
  test('each construct gets its own configuration: changing one changes no other', () => {
    const baseConfig =
      'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nclusterCIDR: 10.244.0.0/16\nconntrack:\n  min: 1\n';
    const first = new KubeProxyIpvsTuning(testChart(), 'A', { baseConfig, scheduler: 'lc' });
    (first.configuration.conntrack as Record<string, unknown>).min = 99;
    const second = new KubeProxyIpvsTuning(testChart(), 'B', { baseConfig, scheduler: 'lc' });
    expect((second.configuration.conntrack as Record<string, unknown>).min).toBe(1);
    expect(kubeProxyConfiguration({}, { baseConfig }).conntrack).toEqual({ min: 1 });
  });

  test('configurations that JSON cannot tell apart still render apart', () => {
    expect(renderKubeProxyConfiguration({ conntrack: { min: Infinity } })).not.toBe(renderKubeProxyConfiguration({ conntrack: { min: null } }));
  });
});
