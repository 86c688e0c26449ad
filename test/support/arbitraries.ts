/**
 * fast-check generators for ClusterProfiles: valid profiles and fleets that satisfy every rule of
 * lib/profile/rules.ts and the sizing checks, and mutations of them that may break anything.
 */
import fc from 'fast-check';
import { stringify } from 'yaml';
import { IPVS_ONLY_FIELDS, IPVS_SCHEDULERS } from '../../lib/components/kube-proxy/facts';
import { INT32_MAX } from '../../lib/core/cluster';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Spec = Record<string, unknown>;
export type FieldPath = Array<string | number>;
/** The values an arbitrary generates. */
type ValueOf<A> = A extends fc.Arbitrary<infer T> ? T : never;

export interface ProfileDoc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: Spec;
}

export const CILIUM_VERSIONS = ['1.13.4', '1.14.5', '1.15.19', '1.16.19', '1.17.18', '1.18.12', '1.19.0', '1.20.0'] as const;

/** Drop undefined keys so the YAML holds only the fields a user would write. */
export function compact<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The field left out once in `freq` draws (fast-check's nil frequency). */
const opt = <T>(arb: fc.Arbitrary<T>, freq = 3) => fc.option(arb, { nil: undefined, freq });

// ---------------------------------------------------------------------------------------------
// Addresses

/** First octets that never overlap each other, link-local (169), loopback or multicast. */
const OCTETS = Array.from({ length: 223 }, (_, i) => i + 1).filter((o) => o !== 127 && o !== 169);

function ipv4(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** An IPv4 CIDR inside `octet`.0.0.0/8, without host bits. */
function cidrIn(octet: number, prefix: number, bits: number): string {
  const host = 32 - prefix;
  const network = ((octet << 24) >>> 0) + (host >= 24 ? 0 : (Math.floor(bits / 2 ** host) * 2 ** host) % 2 ** 24);
  return `${ipv4(network >>> 0)}/${prefix}`;
}

export const ipv4CidrArb = (minPrefix = 8, maxPrefix = 30): fc.Arbitrary<string> =>
  fc
    .tuple(fc.constantFrom(...OCTETS), fc.integer({ min: minPrefix, max: maxPrefix }), fc.integer({ min: 0, max: 2 ** 24 - 1 }))
    .map(([o, p, b]) => cidrIn(o, p, b));

const ipv4AddressArb = fc.tuple(fc.constantFrom(...OCTETS), fc.integer({ min: 0, max: 2 ** 24 - 1 })).map(([o, b]) => ipv4(((o << 24) >>> 0) + b));

/** Free-form text: plain words, YAML look-alikes (yes, 1.0, null, ~) and unicode. */
const freeTextArb = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ._/-]{0,30}$/) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'yes',
      'no',
      'on',
      'off',
      '1.0',
      '0x10',
      'null',
      '~',
      '- a',
      'a: b',
      '#x',
      '"q"',
      "it's",
      'ünïcödé ☸',
      '*star',
      '&amp',
    ),
  },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 20 }) },
);

const dnsLabelArb = (max = 20) => fc.stringMatching(new RegExp(`^[a-z]([-a-z0-9]{0,${max - 2}}[a-z0-9])?$`));
/** Longest object name the schema takes: the name is also a file name in dist/ (255 bytes at most). */
export const SAFE_NAME_LENGTH = 200;

/** A DNS subdomain of exactly `length` characters: 63-character labels joined by dots. */
export const longSubdomainArb = (min: number, max: number): fc.Arbitrary<string> =>
  fc.tuple(fc.integer({ min, max }), fc.stringMatching(/^[a-z][a-z0-9]{62}$/)).map(([length, label]) => {
    let out = label;
    while (out.length < length) out += `.${label}`;
    out = out.slice(0, length);
    return out.endsWith('.') ? `${out.slice(0, -1)}a` : out;
  });

const dnsSubdomainArb = fc.oneof(
  { weight: 6, arbitrary: dnsLabelArb(20) },
  { weight: 3, arbitrary: fc.tuple(dnsLabelArb(12), dnsLabelArb(12)).map(([a, b]) => `${a}.${b}`) },
  { weight: 1, arbitrary: longSubdomainArb(64, SAFE_NAME_LENGTH) },
);

const durationArb = fc.oneof(
  fc.constantFrom('0', '0s', '1s', '30s', '250ms', '1m30s', '24h0m0s', '1h0m0s', '10s', '1.5h', '500us', '2µs'),
  fc.tuple(fc.integer({ min: 0, max: 3600 }), fc.constantFrom('ns', 'us', 'ms', 's', 'm', 'h')).map(([n, u]) => `${n}${u}`),
);

// ---------------------------------------------------------------------------------------------
// Sections

export interface ArgocdBase {
  readonly repoURL: string;
  readonly targetRevision?: string;
  readonly path?: string;
  readonly namespace?: string;
  /** maxUpdate of each rollout stage 0 to 9 (undefined: left out), so the clusters of a stage agree. */
  readonly maxUpdates?: ReadonlyArray<number | string | undefined>;
}

/** What every profile of a fleet must agree on (one root Application syncs dist/argocd/). */
export const argocdBaseArb: fc.Arbitrary<ArgocdBase> = fc.record(
  {
    repoURL: fc.oneof(fc.constant('https://git.example.com/platform/netscale-fleet.git'), fc.webUrl(), freeTextArb),
    targetRevision: fc.oneof(fc.constant('main'), freeTextArb),
    path: fc.oneof(fc.constant('dist'), fc.constantFrom('deploy/dist', 'out')),
    namespace: fc.constantFrom('argocd', 'gitops', 'argo-cd'),
    maxUpdates: fc.array(
      opt(
        fc.oneof(
          fc.integer({ min: 0, max: 50 }),
          fc.integer({ min: 0, max: 100 }).map((n) => `${n}%`),
        ),
      ),
      { minLength: 10, maxLength: 10 },
    ),
  },
  { requiredKeys: ['repoURL'] },
);

/** A rollout stage and its maxUpdate, where the fleet's repository and revision may be written into an ApplicationSet template. */
function stageArb(base: ArgocdBase): fc.Arbitrary<Spec> {
  if (base.repoURL.includes('{{') || base.targetRevision?.includes('{{')) return fc.constant({});
  return opt(fc.integer({ min: 0, max: 9 })).map((stage) => (stage === undefined ? {} : compact({ stage, maxUpdate: base.maxUpdates?.[stage] })));
}

/**
 * Whole hours, minutes and seconds, longer than zero (30m, 1h30m, 0h45s). At most 999999 per unit:
 * longer ones are the activeDeadlineSeconds bug, see hugeRestartTimeoutProfileArb.
 */
const restartTimeoutArb = fc
  .tuple(
    ...(['h', 'm', 's'] as const).map((unit) =>
      opt(fc.oneof(fc.integer({ min: 0, max: 90 }), fc.constantFrom('0', '00', '99')).map((n) => `${n}${unit}`)),
    ),
  )
  .map((parts) => parts.filter((p) => p !== undefined).join(''))
  .filter((t) => /[1-9]/.test(t));

/** One profile's spec.argocd: the fleet's shared fields (a default written out or left out alike), its own project and destination. */
function argocdSpecArb(base: ArgocdBase, kubernetesMinor: number): fc.Arbitrary<Spec> {
  const shared = (key: 'targetRevision' | 'path' | 'namespace', dflt: string) =>
    base[key] === undefined || base[key] === dflt ? fc.constantFrom(undefined, dflt) : fc.constant(base[key]);
  return fc
    .record({
      targetRevision: shared('targetRevision', 'main'),
      path: shared('path', 'dist'),
      namespace: shared('namespace', 'argocd'),
      project: opt(fc.oneof(fc.constant('default'), dnsSubdomainArb)),
      // Within one minor of the cluster; before 1.27 registry.k8s.io has none, so one is always given.
      kubectlImage: (kubernetesMinor < 27 ? (a: fc.Arbitrary<string>) => a : opt)(
        fc.constantFrom(
          `registry.example.com/tools/kubectl:v1.${kubernetesMinor}.3`,
          `mirror.example.com/kubectl:1.${kubernetesMinor + 1}.0`,
          `registry.example.com:5000/tools/kubectl@sha256:${'0f'.repeat(32)}`,
          ...(Math.abs(28 - kubernetesMinor) <= 1 ? ['registry.k8s.io/kubectl:v1.28.15'] : []),
        ),
      ),
      restartTimeout: opt(restartTimeoutArb),
      destination: opt(
        fc.oneof(
          fc.record({ server: fc.constantFrom('https://kubernetes.default.svc', 'https://10.0.0.1:6443', 'https://api.prod.example.com') }),
          fc.record({ name: freeTextArb }),
        ),
      ),
      stage: stageArb(base),
    })
    .map(({ stage, ...a }) => compact({ repoURL: base.repoURL, ...a, ...stage }));
}

interface TyphaPlan {
  readonly typha?: Spec;
  /** The most replicas the sizing rule may give: nodes must exceed it. */
  readonly maxReplicas: number;
}

const typhaArb: fc.Arbitrary<TyphaPlan> = fc
  .record(
    {
      replicas: fc.integer({ min: 1, max: 12 }),
      nodesPerReplica: fc.integer({ min: 1, max: 500 }),
      minReplicas: fc.integer({ min: 1, max: 6 }),
      maxReplicas: fc.integer({ min: 1, max: 30 }),
      image: fc.constantFrom(
        'quay.io/calico/typha:v3.27.3',
        'registry-vpc.cn-shanghai.aliyuncs.com/acs/typha:v3.5.8',
        `docker.io/calico/typha@sha256:${'a1'.repeat(32)}`,
        'registry.example.com:5000/calico/typha:v3.28.0',
      ),
      serviceAccountName: fc.oneof(fc.constant('calico-typha'), dnsSubdomainArb),
      bgpPeerCrd: fc.boolean(),
      logSeverity: fc.constantFrom('debug', 'info', 'warning', 'error', 'fatal'),
      shutdownTimeoutSeconds: fc.integer({ min: 1, max: 3600 }),
      resources: fc.record(
        { cpu: fc.constantFrom('250m', '1', '0.5', '2'), memory: fc.constantFrom('256Mi', '1Gi', '512M', '1.5Gi') },
        { requiredKeys: [] },
      ),
      tls: fc
        .record({
          secretName: dnsSubdomainArb,
          caConfigMapName: dnsSubdomainArb,
          // Typha refuses TLS without a rule for which clients to accept: one of the two, or both.
          client: fc.constantFrom('cn', 'uri', 'both'),
          clientCommonName: freeTextArb,
          clientUriSan: fc.constantFrom('spiffe://cluster.local/ns/kube-system/sa/calico-node', 'urn:felix'),
        })
        .map(({ client, clientCommonName, clientUriSan, ...rest }) =>
          compact({
            ...rest,
            clientCommonName: client !== 'uri' ? clientCommonName : undefined,
            clientUriSan: client !== 'cn' ? clientUriSan : undefined,
          }),
        ),
      autoscale: fc.boolean(),
    },
    { requiredKeys: [] },
  )
  .map((t) => {
    const out: Spec = { ...t };
    const max = t.maxReplicas ?? 20;
    // minReplicas must not exceed maxReplicas, explicit replicas neither (sizing.ts).
    if ((t.minReplicas ?? 3) > max) out.minReplicas = max;
    if (t.replicas !== undefined && t.replicas > max) out.replicas = max;
    // The autoscaler sets the count: an explicit one is refused next to it.
    if (t.autoscale) delete out.replicas;
    return { typha: compact(out), maxReplicas: max };
  });

/** spec.monitoring: empty, or any mix of its fields. */
const monitoringArb: fc.Arbitrary<Spec> = fc.record(
  {
    conntrackWarnRatio: fc.integer({ min: 1, max: 99 }).map((n) => n / 100),
    apiServerWatchMargin: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constantFrom(1.5, 2.25)),
    namespace: fc.constantFrom('kube-system', 'monitoring'),
    labels: fc.constantFrom({}, { release: 'kube-prometheus-stack' }, { 'example.com/team': 'net' }),
    jobSelectors: fc.record(
      {
        nodeExporter: fc.constantFrom('job="node-exporter"', 'job=~"node.*", instance!=""'),
        kubeProxy: fc.constantFrom('job="kube-proxy"', 'job!~"kubelet|etcd"'),
        typha: fc.constant('job="kube-system/calico-typha"'),
        apiServer: fc.constant('job="apiserver"'),
        kubeStateMetrics: fc.constant('job="kube-state-metrics"'),
        terway: fc.constant('job="terway-metrics"'),
        cilium: fc.constant('job="cilium-agent"'),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);

/** Terway patch mode: no eni_conf field at all. */
const terwayPatchArb = fc.constantFrom<Spec | undefined>(undefined, {}, { mode: 'patch' });

interface TerwayPlan {
  readonly terway?: Spec;
  readonly serviceCidr?: string;
  readonly maxPodsPerNode?: number;
}

const zoneArb = fc.oneof(
  fc
    .tuple(fc.constantFrom('cn-shanghai', 'cn-hangzhou', 'cn-beijing', 'ap-southeast-1'), fc.constantFrom(...'abcdefghijk'))
    .map(([r, z]) => `${r}-${z}`),
  fc.stringMatching(/^[a-z]{2}-[a-z0-9-]{1,12}$/),
);

/** Terway full mode: vSwitches, security groups and the Service CIDR are required. */
function terwayFullArb(nodes: number): fc.Arbitrary<TerwayPlan> {
  return fc
    .record({
      explicitMode: fc.boolean(),
      zones: fc.uniqueArray(zoneArb, { minLength: 1, maxLength: 3 }),
      vswitchIds: fc.uniqueArray(fc.stringMatching(/^vsw-[a-z0-9]{4,20}$/), { minLength: 9, maxLength: 9 }),
      perZone: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }),
      securityGroups: fc.uniqueArray(fc.stringMatching(/^sg-[a-z0-9]{4,20}$/), { minLength: 1, maxLength: 10 }),
      serviceCidr: ipv4CidrArb(12, 24),
      serviceCidrAt: fc.constantFrom('terway', 'spec', 'both'),
      pool: opt(fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), fc.constantFrom('both', 'min', 'max', 'none'))),
      vswitchSelectionPolicy: opt(fc.constantFrom('ordered', 'random')),
      eniTags: opt(
        fc.dictionary(
          fc.oneof(fc.constantFrom('ack.aliyun.com', 'team', 'cost-center'), fc.stringMatching(/^[a-z][a-z0-9._-]{0,15}$/)),
          freeTextArb,
          { maxKeys: 3 },
        ),
      ),
      credentialPath: opt(fc.constantFrom('/var/addon/token-config', '/etc/terway/credentials')),
      ipStack: opt(fc.constantFrom('ipv4', 'dual')),
      eniConf: opt(
        fc.record(
          {
            enable_eni_trunking: fc.boolean(),
            max_eni: fc.integer({ min: 1, max: 20 }),
            ipam_type: fc.constantFrom('crd', 'default'),
            enable_erdma: fc.boolean(),
            kube_client_qps: fc.double({ min: 1, max: 100, noNaN: true }),
          },
          { requiredKeys: [] },
        ),
      ),
      // The cluster's 10-terway.conf, with the datapath and policy provider Felix runs on (the relay needs them).
      baseCniConf: opt(
        fc.constantFrom(
          { cniVersion: '0.4.0', name: 'terway', capabilities: { bandwidth: true }, network_policy_provider: 'iptables', type: 'terway' },
          { cniVersion: '0.3.0', name: 'terway', type: 'terway' },
          { cniVersion: '0.4.0', name: 'terway', eniip_virtual_type: 'Veth', type: 'terway' },
        ),
      ),
      cniConf: opt(fc.constantFrom({ capabilities: { bandwidth: true, portMappings: true } }, { cniVersion: '0.4.0' })),
      datapath: opt(fc.constant('veth')),
      inClusterLoadBalance: opt(fc.boolean()),
      cidrs: fc.array(fc.tuple(fc.boolean(), fc.constantFrom(...OCTETS), fc.integer({ min: 16, max: 26 }), fc.nat()), { minLength: 9, maxLength: 9 }),
      nodesPerZone: opt(fc.array(opt(fc.integer({ min: 0, max: nodes })), { minLength: 3, maxLength: 3 })),
      maxPodsPerNode: opt(fc.integer({ min: 1, max: 256 })),
    })
    .map((r) => {
      const vswitches: Record<string, string[]> = {};
      let next = 0;
      r.zones.forEach((zone, i) => {
        vswitches[zone] = r.vswitchIds.slice(next, next + r.perZone[i]);
        next += r.perZone[i];
      });
      const ids = Object.values(vswitches).flat();
      const vswitchCidrs: Record<string, string> = {};
      // vSwitches never share addresses with each other or the Service CIDR: one /8 each.
      const taken = new Set([Number(r.serviceCidr.split('.')[0])]);
      ids.forEach((id, i) => {
        const [given, octet, prefix, bits] = r.cidrs[i];
        if (!given || taken.has(octet)) return;
        taken.add(octet);
        vswitchCidrs[id] = cidrIn(octet, prefix, bits);
      });
      const nodesPerZone: Record<string, number> = {};
      if (r.nodesPerZone) r.zones.forEach((z, i) => r.nodesPerZone![i] !== undefined && (nodesPerZone[z] = r.nodesPerZone![i]!));
      const [a, b, which] = r.pool ?? [0, 0, 'none'];
      // A min alone must stay under Terway's default max of 5.
      const min = which === 'both' ? Math.min(a, b) : which === 'min' ? Math.min(a, b, 5) : undefined;
      const pool = r.pool === undefined ? undefined : compact({ min, max: which === 'both' || which === 'max' ? Math.max(a, b) : undefined });
      const terway = compact({
        mode: r.explicitMode ? 'full' : undefined,
        vswitches,
        securityGroups: r.securityGroups,
        serviceCidr: r.serviceCidrAt !== 'spec' ? r.serviceCidr : undefined,
        pool,
        vswitchSelectionPolicy: r.vswitchSelectionPolicy,
        eniTags: r.eniTags,
        credentialPath: r.credentialPath,
        ipStack: r.ipStack,
        eniConf: r.eniConf && Object.keys(r.eniConf).length > 0 ? r.eniConf : undefined,
        baseCniConf: r.baseCniConf ? JSON.stringify(r.baseCniConf) : undefined,
        cniConf: r.baseCniConf ? r.cniConf : undefined,
        datapath: r.datapath,
        inClusterLoadBalance: r.inClusterLoadBalance,
        vswitchCidrs: Object.keys(vswitchCidrs).length > 0 ? vswitchCidrs : undefined,
        nodesPerZone: Object.keys(nodesPerZone).length > 0 ? nodesPerZone : undefined,
      });
      // The capacity check refuses a zone whose vSwitches cannot hold its pods: then leave maxPodsPerNode out.
      // Each node holds its pods plus min_pool_size idle addresses.
      const idle = min ?? 0;
      const maxPods =
        r.maxPodsPerNode !== undefined &&
        fitsCapacity(
          vswitches,
          vswitchCidrs,
          nodesPerZone,
          r.nodesPerZone !== undefined && Object.keys(nodesPerZone).length > 0,
          nodes,
          r.maxPodsPerNode + idle,
        )
          ? r.maxPodsPerNode
          : undefined;
      return { terway, serviceCidr: r.serviceCidrAt !== 'terway' ? r.serviceCidr : undefined, maxPodsPerNode: maxPods };
    });
}

/** resolve.ts checkCapacity, mirrored: every fully described zone has room for its pods. */
function fitsCapacity(
  vswitches: Record<string, string[]>,
  cidrs: Record<string, string>,
  nodesPerZone: Record<string, number>,
  explicit: boolean,
  nodes: number,
  maxPods: number,
): boolean {
  if (Object.keys(cidrs).length === 0) return true;
  const zones = Object.keys(vswitches).sort();
  const base = Math.floor(nodes / zones.length);
  const rest = nodes - base * zones.length;
  return zones.every((zone, i) => {
    const ids = vswitches[zone];
    if (ids.some((id) => cidrs[id] === undefined)) return true;
    const usable = ids.reduce((sum, id) => sum + Math.max(0, 2 ** (32 - Number(cidrs[id].split('/')[1])) - 4), 0);
    const zoneNodes = explicit ? (nodesPerZone[zone] ?? 0) : base + (i < rest ? 1 : 0);
    return zoneNodes * maxPods <= usable;
  });
}

interface KubeProxyContext {
  readonly platform: string;
  readonly minor: number;
  readonly cpuPerNode?: number;
}

const BASE_CONFIGS = [
  'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: iptables\n',
  'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nbindAddress: 0.0.0.0\nclientConnection:\n  kubeconfig: ' +
    '/var/lib/kube-proxy/kubeconfig.conf\nclusterCIDR: 10.244.0.0/16\nmode: ipvs\nipvs:\n  scheduler: rr\n',
  'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nfeatureGates:\n  SomeGate: true\nhostnameOverride: ' +
    '""\nconntrack:\n  maxPerCore: 65536\nmetricsBindAddress: 0.0.0.0:10249\n',
  // An unknown field is a warning, kept as given.
  'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ""\nudpIdleTimeout: 250ms\nportRange: ""\n',
  '{"apiVersion": "kubeproxy.config.k8s.io/v1alpha1", "kind": "KubeProxyConfiguration", "mode": "ipvs", "ipvs": {"syncPeriod": "15s"}}\n',
];

function kubeProxyArb(ctx: KubeProxyContext): fc.Arbitrary<Spec> {
  return fc
    .record(
      {
        mode: fc.constantFrom('ipvs', 'nftables'),
        scheduler: fc.constantFrom(...IPVS_SCHEDULERS),
        syncPeriod: durationArb,
        minSyncPeriod: durationArb,
        conntrack: fc.oneof(
          // ceil(conntrackMax / cpus) x cpus may round up past int32 (an error): stay a core's worth below.
          fc.record({ conntrackMax: fc.integer({ min: 1, max: INT32_MAX - 1023 }) }),
          // maxPerCore x cpus stays within int32 on 1024-core nodes.
          fc.record(
            { conntrackMaxPerCore: fc.integer({ min: 0, max: Math.floor(INT32_MAX / 1024) }), conntrackMin: fc.integer({ min: 0, max: INT32_MAX }) },
            { requiredKeys: [] },
          ),
        ),
        tcpEstablishedTimeout: durationArb,
        tcpCloseWaitTimeout: durationArb,
        conntrackTcpBeLiberal: fc.boolean(),
        udpTimeout: durationArb,
        tcpTimeout: durationArb,
        tcpFinTimeout: durationArb,
        strictARP: fc.boolean(),
        excludeCIDRs: fc.array(ipv4CidrArb(8, 32), { maxLength: 3 }),
        clusterCIDR: fc.oneof(ipv4CidrArb(8, 24), fc.constant('10.244.0.0/16,fd00:10:244::/56')),
        metricsBindAddress: fc.constantFrom('127.0.0.1:10249', '0.0.0.0:10249', ':10249', '[::1]:10249'),
        configMapName: fc.oneof(fc.constantFrom('kube-proxy', 'kube-proxy-worker'), dnsSubdomainArb),
        configMapKey: fc.constantFrom('config.conf', 'kube-proxy.yaml', 'config_v2'),
        baseConfig: fc.constantFrom(...BASE_CONFIGS),
        kubeconfigPath: fc.constantFrom('/var/lib/kube-proxy/kubeconfig.conf', '/etc/kubernetes/kube-proxy.conf'),
      },
      { requiredKeys: [] },
    )
    .map(({ conntrack, ...k }) => {
      const out: Spec = { ...k, ...(conntrack ?? {}) };
      // nftables exists from Kubernetes 1.29 (on ACK from 1.35) and takes no IPVS-only field.
      if (out.mode === 'nftables' && (ctx.minor < 29 || (ctx.platform === 'ack' && ctx.minor < 35))) out.mode = 'ipvs';
      // conntrack.tcpBeLiberal exists from 1.29.
      if (ctx.minor < 29) delete out.conntrackTcpBeLiberal;
      if (out.mode === 'nftables') for (const f of IPVS_ONLY_FIELDS) delete out[f];
      // conntrackMax is sized per core: it needs cpuPerNode.
      if (out.conntrackMax !== undefined && ctx.cpuPerNode === undefined) delete out.conntrackMax;
      if (ctx.platform === 'k3s') {
        // k3s takes flags, not a ConfigMap; the nftables sync periods have no flag.
        for (const f of ['baseConfig', 'configMapName', 'configMapKey']) delete out[f];
        if (out.mode === 'nftables') for (const f of ['syncPeriod', 'minSyncPeriod']) delete out[f];
      }
      return compact(out);
    });
}

interface CalicoContext {
  /** First octets nothing else in the profile uses. */
  readonly octets: readonly number[];
}

function calicoArb(ctx: CalicoContext): fc.Arbitrary<Spec> {
  const pool = fc.record({
    name: fc.oneof(dnsSubdomainArb, fc.constant('default-ipv4-ippool')),
    prefixPick: fc.nat(),
    bits: fc.nat(),
    writeBlockSize: fc.boolean(),
    encapsulation: fc.constantFrom('none', 'ipip', 'vxlan'),
    encapsulationMode: fc.constantFrom('Always', 'CrossSubnet'),
    writeNever: fc.boolean(),
    natOutgoing: opt(fc.boolean()),
    nodeSelector: opt(fc.oneof(fc.constantFrom('all()', "rack == 'a'", '!has(edge)'), freeTextArb)),
    disabled: opt(fc.boolean()),
  });
  return fc
    .record({
      v4BlockSize: fc.integer({ min: 20, max: 32 }),
      v6BlockSize: fc.integer({ min: 116, max: 128 }),
      v4Pools: fc.array(pool, { minLength: 0, maxLength: Math.min(3, ctx.octets.length) }),
      v6Pools: fc.array(pool, { maxLength: 2 }),
      mtu: opt(fc.integer({ min: 576, max: 9216 })),
      wireguard: opt(fc.boolean()),
      bgp: opt(
        fc.record(
          {
            // Above int32 is a documented warning and the vendored BGPConfiguration CRD refuses it.
            asNumber: fc.integer({ min: 1, max: INT32_MAX }),
            routeReflectors: fc.record(
              {
                nodeSelector: fc.oneof(
                  fc.constantFrom("route-reflector == 'true'", 'has(route-reflector)'),
                  freeTextArb.filter((s) => s.trim() !== ''),
                ),
                clusterId: fc.constantFrom('244.0.0.1', '10.0.0.1', '1.2.3.4'),
                nodes: fc.uniqueArray(dnsSubdomainArb, { minLength: 2, maxLength: 3 }),
              },
              { requiredKeys: ['nodeSelector', 'nodes'] },
            ),
          },
          { requiredKeys: [] },
        ),
      ),
    })
    .map((c) => {
      const names = new Set<string>();
      const ipPools: Spec[] = [];
      const addPool = (p: ValueOf<typeof pool>, family: 4 | 6, index: number) => {
        let name = p.name;
        for (let n = 2; names.has(name); n++) name = `${p.name}-${n}`;
        names.add(name);
        const block = family === 4 ? c.v4BlockSize : c.v6BlockSize;
        let cidr: string;
        if (family === 4) {
          // A pool at least as large as a block (or a disabled pool of any size) in its own /8.
          const prefix = p.disabled ? 8 + (p.prefixPick % 23) : 8 + (p.prefixPick % (Math.min(block, 30) - 7));
          cidr = cidrIn(ctx.octets[index], prefix, p.bits);
        } else {
          cidr = `fd${(index + 16).toString(16).padStart(2, '0')}:${(p.bits % 65536).toString(16)}::/${48 + (p.prefixPick % 17)}`;
        }
        // IPv6 pools carry no IP-in-IP; a pool uses one encapsulation at most.
        const enc = family === 6 && p.encapsulation === 'ipip' ? 'vxlan' : p.encapsulation;
        const never = p.writeNever ? 'Never' : undefined;
        ipPools.push(
          compact({
            name,
            cidr,
            blockSize: p.writeBlockSize || block !== (family === 4 ? 26 : 122) ? block : undefined,
            ipipMode: enc === 'ipip' ? p.encapsulationMode : never,
            vxlanMode: enc === 'vxlan' ? p.encapsulationMode : never,
            natOutgoing: p.natOutgoing,
            nodeSelector: p.nodeSelector,
            disabled: p.disabled,
          }),
        );
      };
      c.v4Pools.forEach((p, i) => addPool(p, 4, i));
      c.v6Pools.forEach((p, i) => addPool(p, 6, i));
      return compact({ ipPools: ipPools.length > 0 ? ipPools : undefined, mtu: c.mtu, wireguard: c.wireguard, bgp: c.bgp });
    });
}

interface CiliumContext {
  readonly platform: string;
  readonly nodes: number;
  readonly hasArgocd: boolean;
}

const minorOf = (version: string) => Number(version.split('.')[1]);

function ciliumArb(ctx: CiliumContext): fc.Arbitrary<Spec> {
  const deliveries = ['values', ...(ctx.platform === 'k3s' ? ['k3s'] : []), ...(ctx.hasArgocd ? ['argocd'] : [])];
  return fc
    .record({
      version: fc.constantFrom(...CILIUM_VERSIONS),
      delivery: opt(fc.constantFrom(...deliveries)),
      host: fc.oneof(ipv4AddressArb, fc.constantFrom('api.example.com', 'k8s-api.internal', '192.168.2.43', 'fd00::10', 'auto')),
      k8sServicePort: fc.integer({ min: 1, max: 65535 }),
      routingMode: fc.constantFrom('native', 'tunnel', undefined),
      tunnelProtocol: opt(fc.constantFrom('vxlan', 'geneve')),
      ipv4NativeRoutingCidr: opt(ipv4CidrArb(8, 28)),
      autoDirectNodeRoutes: opt(fc.boolean()),
      loadBalancer: opt(
        fc.record(
          {
            mode: fc.constantFrom('snat', 'dsr', 'hybrid'),
            acceleration: fc.constantFrom('disabled', 'native', 'best-effort'),
            dsrDispatch: fc.constantFrom('opt', 'geneve'),
          },
          { requiredKeys: [] },
        ),
      ),
      bpfMasquerade: opt(fc.boolean()),
      hubble: opt(fc.record({ relay: fc.boolean(), ui: fc.boolean() }, { requiredKeys: [] })),
      operatorReplicas: opt(fc.integer({ min: 1, max: 5 })),
      values: opt(
        fc.constantFrom<Spec>(
          {},
          { prometheus: { enabled: true } },
          { debug: { enabled: false } },
          { ipam: { mode: 'kubernetes' } },
          { resources: { requests: { cpu: '100m' } }, envoy: { enabled: false } },
        ),
      ),
    })
    .map((r) => {
      const minor = minorOf(r.version);
      const delivery = r.delivery ?? (ctx.platform === 'k3s' ? 'k3s' : ctx.hasArgocd ? 'argocd' : 'values');
      const native = r.routingMode === 'native';
      const out: Spec = {
        version: r.version,
        // "auto" needs 1.16 and a chart rendered in the cluster (not by Argo CD).
        k8sServiceHost: r.host === 'auto' && (minor < 16 || delivery === 'argocd') ? '10.0.0.10' : r.host,
        k8sServicePort: r.k8sServicePort,
        routingMode: r.routingMode,
        // Native routing needs an IPv4 routing CIDR and has no tunnel.
        tunnelProtocol: native ? undefined : r.tunnelProtocol,
        ipv4NativeRoutingCidr: native ? (r.ipv4NativeRoutingCidr ?? '10.0.0.0/8') : r.ipv4NativeRoutingCidr,
        autoDirectNodeRoutes: native ? r.autoDirectNodeRoutes : r.autoDirectNodeRoutes === false ? false : undefined,
        bpfMasquerade: r.bpfMasquerade,
        delivery: r.delivery,
        values: r.values,
      };
      if (r.loadBalancer) {
        const lb = { ...r.loadBalancer };
        if (lb.dsrDispatch === 'geneve' && minor < 14) lb.dsrDispatch = 'opt';
        if (lb.acceleration === 'best-effort' && minor < 15) lb.acceleration = 'native';
        const dsr = lb.mode === 'dsr' || lb.mode === 'hybrid';
        if (dsr && !native) {
          // DSR off native routing needs a Geneve tunnel with Geneve dispatch (1.14 or newer).
          if (minor >= 14) {
            out.tunnelProtocol = 'geneve';
            lb.dsrDispatch = 'geneve';
          } else lb.mode = 'snat';
        }
        out.loadBalancer = compact(lb);
      }
      if (r.hubble) out.hubble = compact({ relay: r.hubble.ui ? true : r.hubble.relay, ui: r.hubble.ui });
      // The operator keeps its replicas on different nodes: not more than nodes (default 2).
      const replicas = r.operatorReplicas ?? 2;
      out.operatorReplicas = replicas > ctx.nodes ? ctx.nodes : r.operatorReplicas;
      return compact(out);
    });
}

// ---------------------------------------------------------------------------------------------
// Profiles and fleets

const kubernetesVersionArb = fc
  .tuple(fc.integer({ min: 24, max: 35 }), opt(fc.integer({ min: 0, max: 20 })))
  .map(([minor, patch]) => ({ minor, text: patch === undefined ? `1.${minor}` : `1.${minor}.${patch}` }));
const nodesArb = fc.oneof(
  fc.constantFrom(1, 2, 100000),
  fc.integer({ min: 1, max: 50 }),
  fc.integer({ min: 1, max: 3000 }),
  fc.integer({ min: 1, max: 100000 }),
);
const regionArb = fc.oneof(
  fc.constantFrom('cn-shanghai', 'cn-hangzhou', 'ap-southeast-1', 'us-west-1'),
  fc.stringMatching(/^[a-z]{2}-[a-z0-9-]{1,12}$/),
);

/**
 * A spec every rule accepts: Terway on ACK (patch or full eni-config, relay, direct or disabled),
 * Calico on any platform (relay or direct, pools, BGP, kube-proxy), or Cilium (no kube-proxy).
 */
export function validSpecArb(argocd?: ArgocdBase): fc.Arbitrary<Spec> {
  const common = fc.record({
    version: kubernetesVersionArb,
    nodes: nodesArb,
    cpuPerNode: opt(fc.integer({ min: 1, max: 1024 })),
    region: regionArb,
    octets: fc.uniqueArray(fc.constantFrom(...OCTETS), { minLength: 6, maxLength: 6 }),
    withArgocd: argocd ? fc.boolean() : fc.constant(false),
    withKubeProxy: fc.boolean(),
    withServiceCidr: fc.boolean(),
    typha: opt(typhaArb),
  });

  const finish = (base: ValueOf<typeof common>, spec: Spec, extra: fc.Arbitrary<Spec>): fc.Arbitrary<Spec> =>
    fc
      .tuple(extra, argocd && base.withArgocd ? argocdSpecArb(argocd, base.version.minor) : fc.constant(undefined), opt(monitoringArb))
      .map(([more, a, monitoring]) => compact({ ...spec, ...more, argocd: a, monitoring }));

  const terway = common.chain((b) =>
    fc.constantFrom('relay', 'direct', 'disabled', undefined).chain((policy) => {
      const relay = policy === 'relay';
      // Nodes must exceed the most Typha replicas the sizing rule may give.
      const nodes = relay ? Math.max(b.nodes, (b.typha?.maxReplicas ?? 20) + 1) : b.nodes;
      // Terway's Felix has no client certificate, so Typha TLS is refused there.
      const typha = relay && b.typha ? compact({ ...b.typha.typha, tls: undefined }) : undefined;
      const spec: Spec = {
        platform: 'ack',
        cni: 'terway',
        kubernetesVersion: b.version.text,
        nodes,
        cpuPerNode: b.cpuPerNode,
        region: b.region,
        networkPolicy: policy,
        typha,
      };
      const terwayPlan: fc.Arbitrary<TerwayPlan> = fc.oneof(
        terwayPatchArb.map((t) => ({ terway: t })),
        terwayFullArb(nodes),
      );
      const extra = fc
        .tuple(
          terwayPlan,
          b.withKubeProxy ? kubeProxyArb({ platform: 'ack', minor: b.version.minor, cpuPerNode: b.cpuPerNode }) : fc.constant(undefined),
        )
        .map(([t, kubeProxy]) => compact({ ...t, kubeProxy }));
      return finish(b, spec, extra);
    }),
  );

  const calico = common.chain((b) =>
    fc
      .tuple(
        fc.constantFrom('kubeadm', 'k3s', 'ack'),
        fc.constantFrom('relay', 'direct', undefined),
        fc.constantFrom('manifest', 'manifest-typha', 'operator', undefined),
      )
      .chain(([platform, policy, given]) => {
        const relay = policy === 'relay';
        // The relay needs to know how Calico was installed; without it the install is optional.
        const install = relay ? (given ?? 'manifest') : given;
        const nodes = relay ? Math.max(b.nodes, (b.typha?.maxReplicas ?? 20) + 1) : b.nodes;
        const spec: Spec = {
          platform,
          cni: 'calico',
          kubernetesVersion: b.version.text,
          nodes,
          cpuPerNode: b.cpuPerNode,
          region: platform === 'ack' ? b.region : undefined,
          networkPolicy: policy,
          // The Service CIDR gets its own /8, away from every pool.
          serviceCidr: b.withServiceCidr ? cidrIn(b.octets[5], 12, 0) : undefined,
          // The operator runs Typha itself: a typha section is refused there.
          typha: relay && install !== 'operator' ? b.typha?.typha : undefined,
        };
        const extra = fc
          .tuple(
            opt(calicoArb({ octets: b.octets.slice(0, 3) }), 6),
            b.withKubeProxy ? kubeProxyArb({ platform, minor: b.version.minor, cpuPerNode: b.cpuPerNode }) : fc.constant(undefined),
            // Releases with Felix's nftables switch; 3.32 detects kube-proxy's mode.
            fc.constantFrom('3.29.7', '3.30.5', '3.31.7', '3.32.1'),
            fc.boolean(),
          )
          .map(([c, kubeProxy, release, writeVersion]) => {
            // Typha runs the installed release, and Felix matches kube-proxy's nftables by it.
            const needsVersion =
              install !== 'operator' && ((relay && b.typha?.typha?.image === undefined) || (kubeProxy as Spec | undefined)?.mode === 'nftables');
            const version = needsVersion || writeVersion ? release : undefined;
            const calico =
              c === undefined && install === undefined && version === undefined ? undefined : compact({ install, version, ...(c ?? {}) });
            return compact({ calico, kubeProxy });
          });
        return finish(b, spec, extra);
      }),
  );

  const cilium = common.chain((b) =>
    fc
      .tuple(fc.constantFrom('kubeadm', 'k3s', 'ack'), fc.constantFrom('direct', undefined), fc.boolean())
      .chain(([platform, policy, withSection]) => {
        const spec: Spec = {
          platform,
          cni: 'cilium',
          kubernetesVersion: b.version.text,
          nodes: b.nodes,
          cpuPerNode: b.cpuPerNode,
          region: platform === 'ack' ? b.region : undefined,
          networkPolicy: policy,
          serviceCidr: b.withServiceCidr ? cidrIn(b.octets[5], 16, 0) : undefined,
        };
        const extra = withSection
          ? ciliumArb({ platform, nodes: b.nodes, hasArgocd: argocd !== undefined && b.withArgocd }).map((c) => ({ cilium: c }))
          : fc.constant({});
        return finish(b, spec, extra);
      }),
  );

  return fc.oneof(terway, calico, cilium);
}

/** Cluster names end in "-<index>": unique in the fleet, never reserved, never "<other>-cilium". */
function nameArb(index: number): fc.Arbitrary<string> {
  const suffix = `-${index}`;
  return fc
    .oneof(
      { weight: 4, arbitrary: fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/) },
      // Up to the 63 characters of a DNS label.
      { weight: 1, arbitrary: fc.stringMatching(new RegExp(`^[a-z][-a-z0-9]{${60 - suffix.length},${62 - suffix.length}}$`)) },
    )
    .map((s) => `${s}${suffix}`);
}

// Any key but __proto__, which the loader refuses (JavaScript would drop it); the mutations try it.
const labelKeyArb = fc.oneof(
  fc.constantFrom('team', 'env', 'app.kubernetes.io/part-of'),
  fc.string({ maxLength: 10 }).filter((k) => k !== '__proto__'),
);
const labelsArb = opt(fc.dictionary(labelKeyArb, freeTextArb, { maxKeys: 3 }), 2);

export function profileDocArb(index = 0, argocd?: ArgocdBase): fc.Arbitrary<ProfileDoc> {
  return fc.record({ name: nameArb(index), labels: labelsArb, spec: validSpecArb(argocd) }).map(({ name, labels, spec }) => ({
    apiVersion: 'netscale.dev/v1alpha1',
    kind: 'ClusterProfile',
    metadata: compact({ name, labels }),
    spec,
  }));
}

/** How the YAML is written: the same profile in block or flow style, plain or quoted strings. */
export interface YamlStyle {
  readonly indent: number;
  readonly flow: boolean;
  readonly quote: 'PLAIN' | 'QUOTE_DOUBLE' | 'QUOTE_SINGLE';
  readonly comment: boolean;
}

export const yamlStyleArb: fc.Arbitrary<YamlStyle> = fc.record({
  indent: fc.constantFrom(2, 2, 4),
  flow: fc.boolean(),
  quote: fc.constantFrom('PLAIN', 'PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE'),
  comment: fc.boolean(),
});

export function profileText(doc: unknown, style: YamlStyle = { indent: 2, flow: false, quote: 'PLAIN', comment: false }): string {
  const body = stringify(doc, {
    indent: style.indent,
    collectionStyle: style.flow ? 'flow' : 'block',
    defaultStringType: style.quote,
    defaultKeyType: 'PLAIN',
    aliasDuplicateObjects: true,
  });
  return style.comment ? `# yaml-language-server: $schema=../schema/clusterprofile.schema.json\n${body}` : body;
}

export interface FleetProfile {
  readonly file: string;
  readonly doc: ProfileDoc;
  readonly style: YamlStyle;
}

/** 1 to `max` valid profiles with unique names; those with spec.argocd agree on the shared fields. */
export function validFleetArb(max = 3): fc.Arbitrary<FleetProfile[]> {
  return fc
    .tuple(opt(argocdBaseArb, 2), fc.integer({ min: 1, max }))
    .chain(([argocd, count]) =>
      fc
        .tuple(...Array.from({ length: count }, (_, i) => fc.tuple(profileDocArb(i, argocd), yamlStyleArb, fc.constantFrom('.yaml', '.yml'))))
        .map((ps) => ps.map(([doc, style, ext]) => ({ file: `${doc.metadata.name}${ext}`, doc, style }))),
    );
}

// ---------------------------------------------------------------------------------------------
// Mutations

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** Every node of a plain value, root first, as paths. */
export function allPaths(value: unknown, at: FieldPath = []): FieldPath[] {
  const out: FieldPath[] = [at];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...allPaths(v, [...at, i])));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...allPaths(v, [...at, k]));
  return out;
}

function getAt(root: unknown, path: FieldPath): unknown {
  let v = root;
  for (const s of path) v = (v as Record<string | number, unknown>)[s];
  return v;
}

/** Set (or, with `remove`, delete) the node at `path`; returns the new root. */
function setAt(root: unknown, path: FieldPath, value: unknown, remove = false): unknown {
  if (path.length === 0) return remove ? null : value;
  const parent = getAt(root, path.slice(0, -1)) as Record<string | number, unknown>;
  const key = path[path.length - 1];
  if (remove) {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  } else parent[key] = value;
  return root;
}

const WRONG_TYPES: Json[] = ['oops', 42, -1, true, false, [], {}, [1, 2], { x: 1 }, 1.5, '1.27', '42', 'true'];
const NUMBERS = [
  0,
  -1,
  -0,
  1.5,
  65536,
  100001,
  2 ** 31,
  2 ** 32,
  2 ** 53 + 1,
  1e308,
  -1e308,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  Infinity,
  -Infinity,
  NaN,
];
const BAD_CIDRS = [
  '10.0.0.1/8',
  '300.1.1.1/24',
  '10.0.0.0/33',
  '10.0.0.0/',
  '/24',
  '::/129',
  '1.2.3.4',
  'fe80::/10',
  '169.254.0.0/16',
  '0.0.0.0/0',
  '10.0.0.0/0',
  '::1/128',
  'ffff::ffff::/64',
  '01.2.3.0/24',
  '1.2.3.0/024',
  'a.b.c.d/8',
  '10.0.0.0/8,10.1.0.0/16',
];
const UNKNOWN_KEYS = [
  'extra',
  'netwrkPolicy',
  'Nodes',
  'access_key',
  'accessKeySecret',
  'secret-key',
  '',
  ' ',
  '0',
  '__proto__',
  'constructor',
  'toString',
  'a.b',
  'x'.repeat(200),
  'ünï',
  'null',
  'true',
];
const ODD_STRINGS = [
  '',
  ' ',
  '\t',
  '\n',
  'null',
  '~',
  'auto',
  'kubernetes.default.svc',
  'latest',
  '../../etc',
  'x'.repeat(300),
  '😀',
  '\u0000',
  '-1',
];

export type ObjectMutation =
  | { kind: 'wrongType'; at: number; value: Json }
  | { kind: 'unknownKey'; at: number; key: string; value: Json }
  | { kind: 'number'; at: number; value: number }
  | { kind: 'cidr'; at: number; value: string }
  | { kind: 'string'; at: number; value: string }
  | { kind: 'null'; at: number }
  | { kind: 'delete'; at: number }
  | { kind: 'alias'; from: number; to: number }
  | { kind: 'graft'; at: number };

export const objectMutationArb: fc.Arbitrary<ObjectMutation> = fc.oneof(
  fc.record({ kind: fc.constant('wrongType' as const), at: fc.nat(), value: fc.constantFrom(...WRONG_TYPES) }),
  fc.record({
    kind: fc.constant('unknownKey' as const),
    at: fc.nat(),
    key: fc.oneof(fc.constantFrom(...UNKNOWN_KEYS), fc.string({ maxLength: 12 })),
    value: fc.constantFrom<Json>(1, 'x', null, { a: 1 }, []),
  }),
  fc.record({ kind: fc.constant('number' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(...NUMBERS), fc.double(), fc.integer()) }),
  fc.record({ kind: fc.constant('cidr' as const), at: fc.nat(), value: fc.constantFrom(...BAD_CIDRS) }),
  fc.record({ kind: fc.constant('string' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(...ODD_STRINGS), fc.string({ maxLength: 30 })) }),
  fc.record({ kind: fc.constant('null' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('alias' as const), from: fc.nat(), to: fc.nat() }),
  fc.record({ kind: fc.constant('graft' as const), at: fc.nat() }),
);

/** Paths of a kind: CIDR-like strings for bad CIDRs, numbers for out-of-range numbers, objects for unknown keys. */
function candidates(root: unknown, kind: ObjectMutation['kind']): FieldPath[] {
  const paths = allPaths(root);
  const of = (test: (v: unknown) => boolean) => {
    const hit = paths.filter((p) => test(getAt(root, p)));
    return hit.length > 0 ? hit : paths;
  };
  switch (kind) {
    case 'cidr':
      return of((v) => typeof v === 'string' && v.includes('/'));
    case 'number':
      return of((v) => typeof v === 'number');
    case 'unknownKey':
      return of((v) => v !== null && typeof v === 'object' && !Array.isArray(v));
    case 'alias':
      return of((v) => v !== null && typeof v === 'object');
    default:
      return paths.slice(1).length > 0 ? paths.slice(1) : paths;
  }
}

/**
 * Apply object mutations in order. An alias mutation makes two fields share one object, which the
 * YAML writer turns into an anchor and an alias; `to` is never inside `from`, so no cycle forms.
 */
export function applyObjectMutations(doc: unknown, mutations: readonly ObjectMutation[], donor?: ProfileDoc): unknown {
  let root: unknown = clone(doc);
  for (const m of mutations) {
    if (m.kind === 'graft') {
      // A subtree of another valid profile at the same path: well-typed, so the rules and constructs run.
      const spec = (root as ProfileDoc | null)?.spec;
      if (!donor || spec === null || typeof spec !== 'object') continue;
      const paths = allPaths(donor.spec).filter((p) => p.length > 0);
      const at = paths[m.at % paths.length];
      let parent = spec as Record<string | number, unknown>;
      for (const key of at.slice(0, -1)) {
        if (parent[key] === null || typeof parent[key] !== 'object') parent[key] = {};
        parent = parent[key] as Record<string | number, unknown>;
      }
      parent[at[at.length - 1]] = clone(getAt(donor.spec, at));
      continue;
    }
    if (m.kind === 'alias') {
      const objects = candidates(root, 'alias');
      const from = objects[m.from % objects.length];
      const all = allPaths(root).filter((p) => p.length > 0 && !isPrefix(p, from) && !isPrefix(from, p));
      if (all.length === 0) continue;
      const to = all[m.to % all.length];
      const shared = getAt(root, from);
      // An earlier alias may share objects: skip a target the shared value already reaches.
      if (reaches(shared, getAt(root, to.slice(0, -1)))) continue;
      root = setAt(root, to, shared);
      continue;
    }
    const paths = candidates(root, m.kind);
    const at = paths[m.at % paths.length];
    switch (m.kind) {
      case 'unknownKey': {
        const target = getAt(root, at);
        // defineProperty, so "__proto__" becomes a plain key; values are cloned, never the shared constants.
        if (target !== null && typeof target === 'object' && !Array.isArray(target))
          Object.defineProperty(target, m.key, { value: clone(m.value), enumerable: true, writable: true, configurable: true });
        else
          root = setAt(root, at, Object.defineProperty({}, m.key, { value: clone(m.value), enumerable: true, writable: true, configurable: true }));
        break;
      }
      case 'null':
        root = setAt(root, at, null);
        break;
      case 'delete':
        root = setAt(root, at, undefined, true);
        break;
      default:
        root = setAt(root, at, typeof m.value === 'object' ? clone(m.value) : m.value);
    }
  }
  return root;
}

/** Whether `target` is `value` or lies anywhere inside it. */
function reaches(value: unknown, target: unknown, seen = new Set<unknown>()): boolean {
  if (value === target) return true;
  if (value === null || typeof value !== 'object' || seen.has(value)) return false;
  seen.add(value);
  return Object.values(value).some((v) => reaches(v, target, seen));
}

function isPrefix(prefix: FieldPath, path: FieldPath): boolean {
  return prefix.length <= path.length && prefix.every((s, i) => path[i] === s);
}

export type TextMutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'duplicateLine'; at: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'numberText'; at: number; text: string }
  | { kind: 'anchorAlias'; at: number; to: number }
  | { kind: 'laughs'; depth: number; width: number; where: 'root' | 'labels' | 'aliasInSpec' }
  | { kind: 'undefinedAlias'; at: number }
  | { kind: 'crlf' }
  | { kind: 'bom' }
  | { kind: 'secondDocument' };

const INSERTS = [
  ':',
  ': ',
  '- ',
  '"',
  "'",
  '{',
  '}',
  '[',
  ']',
  '\t',
  '  ',
  '&a ',
  '*a',
  '!!binary ',
  '!!str ',
  '!custom ',
  '%YAML 1.2\n',
  '---\n',
  '...\n',
  '# c\n',
  '\u0000',
  '\uFEFF',
  '? ',
  '|\n',
  '>-\n',
  ',',
  '\\',
  '@',
  '`',
  '<<: *a\n',
  '\n',
];
const NUMBER_TEXTS = [
  '1e308',
  '1e309',
  '-1e309',
  '9007199254740993',
  '18446744073709551616',
  '0x1F',
  '0o17',
  '0b101',
  '.inf',
  '-.inf',
  '.nan',
  '-0',
  '1_000',
  '1.',
  '.5',
  '+12',
  '1e-400',
  '0.0000001',
  '012',
  '1:30',
];

export const textMutationArb: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicateLine' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...INSERTS), fc.string({ maxLength: 4 })) }),
  fc.record({ kind: fc.constant('numberText' as const), at: fc.nat(), text: fc.constantFrom(...NUMBER_TEXTS) }),
  fc.record({ kind: fc.constant('anchorAlias' as const), at: fc.nat(), to: fc.nat() }),
  fc.record({
    kind: fc.constant('laughs' as const),
    depth: fc.integer({ min: 1, max: 9 }),
    width: fc.integer({ min: 2, max: 10 }),
    where: fc.constantFrom('root' as const, 'labels' as const, 'aliasInSpec' as const),
  }),
  fc.record({ kind: fc.constant('undefinedAlias' as const), at: fc.nat() }),
  fc.constant({ kind: 'crlf' as const }),
  fc.constant({ kind: 'bom' as const }),
  fc.constant({ kind: 'secondDocument' as const }),
);

/** Lines of the form `key: scalar` (block style), as [line index, offset of the value]. */
function scalarLines(lines: readonly string[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  lines.forEach((l, i) => {
    const m = /^(\s*(?:- )?[A-Za-z0-9_./"'-]+: )(?![|>&*!])(\S.*)$/.exec(l);
    if (m) out.push([i, m[1].length]);
  });
  return out;
}

/** A billion-laughs chain: each level lists the one before `width` times. */
function laughs(depth: number, width: number, indent: string): string {
  const rows = [`${indent}lol0: &lol0 [${Array(width).fill('"lol"').join(', ')}]`];
  for (let d = 1; d <= depth; d++)
    rows.push(
      `${indent}lol${d}: &lol${d} [${Array(width)
        .fill(`*lol${d - 1}`)
        .join(', ')}]`,
    );
  return `${rows.join('\n')}\n`;
}

export function applyTextMutations(text: string, mutations: readonly TextMutation[]): string {
  let t = text;
  for (const m of mutations) {
    const lines = t.split('\n');
    switch (m.kind) {
      case 'truncate':
        t = t.slice(0, m.at % (t.length + 1));
        break;
      case 'duplicateLine': {
        const i = m.at % lines.length;
        lines.splice(i + 1, 0, lines[i]);
        t = lines.join('\n');
        break;
      }
      case 'insert': {
        const at = m.at % (t.length + 1);
        t = t.slice(0, at) + m.text + t.slice(at);
        break;
      }
      case 'numberText': {
        const numeric = [...t.matchAll(/(?<=: |- |\[|, )-?\d+(\.\d+)?(?=\s*$|,|\])/gm)];
        if (numeric.length === 0) break;
        const hit = numeric[m.at % numeric.length];
        t = t.slice(0, hit.index) + m.text + t.slice(hit.index! + hit[0].length);
        break;
      }
      case 'anchorAlias': {
        // Anchor one scalar value and reuse it for another: legal YAML, maybe a wrong type.
        const scalars = scalarLines(lines);
        if (scalars.length < 2) break;
        const [ai, aoff] = scalars[m.at % scalars.length];
        const [bi, boff] = scalars[(m.at + 1 + (m.to % (scalars.length - 1))) % scalars.length];
        lines[ai] = `${lines[ai].slice(0, aoff)}&anc ${lines[ai].slice(aoff)}`;
        lines[bi] = `${lines[bi].slice(0, boff)}*anc`;
        t = lines.join('\n');
        break;
      }
      case 'laughs': {
        if (m.where === 'root') t = `${t.endsWith('\n') || t === '' ? t : `${t}\n`}${laughs(m.depth, m.width, '')}`;
        else if (m.where === 'labels') t = t.replace(/^metadata:\n/m, `metadata:\n  labels:\n${laughs(m.depth, m.width, '    ')}`);
        // Anchors first, then one alias of the top level in a free-form map (cilium values or cniConf) or as a label.
        else {
          const alias = (_line: string, ind: string, key: string | undefined) =>
            key ? `${ind}${key}: {x: *lol${m.depth}}` : `metadata:\n  labels: *lol${m.depth}`;
          t = `${laughs(m.depth, m.width, '')}${t.replace(/^(\s*)(values|cniConf|labels|eniConf): .*$|^metadata:$/m, alias)}`;
        }
        break;
      }
      case 'undefinedAlias': {
        const scalars = scalarLines(lines);
        if (scalars.length === 0) break;
        const [i, off] = scalars[m.at % scalars.length];
        lines[i] = `${lines[i].slice(0, off)}*nowhere`;
        t = lines.join('\n');
        break;
      }
      case 'crlf':
        t = t.replace(/\n/g, '\r\n');
        break;
      case 'bom':
        t = `\uFEFF${t}`;
        break;
      case 'secondDocument':
        t = `${t}---\n${t}`;
        break;
    }
  }
  return t;
}

export interface MutatedProfile {
  readonly doc: ProfileDoc;
  /** Where graft mutations take their subtrees from. */
  readonly donor: ProfileDoc;
  readonly style: YamlStyle;
  readonly objectMutations: readonly ObjectMutation[];
  readonly textMutations: readonly TextMutation[];
}

export const mutatedProfileArb: fc.Arbitrary<MutatedProfile> = fc
  .record({
    doc: profileDocArb(0, { repoURL: 'https://git.example.com/platform/netscale-fleet.git' }),
    donor: profileDocArb(1, { repoURL: 'https://git.example.com/platform/netscale-fleet.git' }),
    style: yamlStyleArb,
    objectMutations: fc.array(objectMutationArb, { maxLength: 3 }),
    textMutations: fc.array(textMutationArb, { maxLength: 2 }),
  })
  .filter((m) => m.objectMutations.length + m.textMutations.length > 0);

/** Only grafts: mostly still valid profiles, so a synth reaches the constructs with odd combinations. */
export const graftedProfileArb: fc.Arbitrary<MutatedProfile> = fc.record({
  doc: profileDocArb(0, { repoURL: 'https://git.example.com/platform/netscale-fleet.git' }),
  donor: profileDocArb(1, { repoURL: 'https://git.example.com/platform/netscale-fleet.git' }),
  style: yamlStyleArb,
  objectMutations: fc.array(fc.record({ kind: fc.constant('graft' as const), at: fc.nat() }), { minLength: 1, maxLength: 4 }),
  textMutations: fc.constant([]),
});

export function mutatedText(m: MutatedProfile): string {
  return applyTextMutations(profileText(applyObjectMutations(m.doc, m.objectMutations, m.donor), m.style), m.textMutations);
}

/** Self-referencing anchors (`a: &x {b: *x}`) in any map or list of a valid profile: legal YAML, a cyclic value. */
export const recursiveAliasArb = fc.record({
  doc: profileDocArb(0),
  at: fc.nat(),
  shape: fc.constantFrom('map', 'list'),
});

export function recursiveAliasText(r: ValueOf<typeof recursiveAliasArb>): string {
  const lines = profileText(r.doc).split('\n');
  const scalars = scalarLines(lines);
  const [i, off] = scalars[r.at % scalars.length];
  lines[i] = `${lines[i].slice(0, off)}${r.shape === 'map' ? '&self {again: *self}' : '&self [*self]'}`;
  return lines.join('\n');
}

/**
 * A valid Calico profile with one object name the schema accepts but whose manifest file name
 * (`<Kind>.<name>.k8s.yaml`) exceeds 255 bytes: an IPPool, the kube-proxy ConfigMap or Typha's ServiceAccount.
 */
export const longNameProfileArb: fc.Arbitrary<ProfileDoc> = fc
  .record({
    field: fc.constantFrom('ipPool', 'configMapName', 'typhaServiceAccount'),
    name: longSubdomainArb(240, 253),
    nodes: fc.integer({ min: 21, max: 5000 }),
  })
  .map(({ field, name, nodes }) => ({
    apiVersion: 'netscale.dev/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name: 'long-names' },
    spec: compact({
      platform: 'kubeadm',
      cni: 'calico',
      kubernetesVersion: '1.29',
      nodes,
      networkPolicy: field === 'typhaServiceAccount' ? 'relay' : undefined,
      typha: field === 'typhaServiceAccount' ? { serviceAccountName: name } : undefined,
      calico: field === 'ipPool' ? { ipPools: [{ name, cidr: '10.244.0.0/16' }] } : undefined,
      kubeProxy: field === 'configMapName' ? { configMapName: name } : undefined,
    }),
  }));

/**
 * A Terway relay profile under Argo CD (so a restart Job is rendered) whose restartTimeout the
 * schema accepts but no Job can carry: 20 to 24 digits of seconds, minutes or hours (beyond int64).
 */
export const hugeRestartTimeoutProfileArb: fc.Arbitrary<ProfileDoc> = fc
  .tuple(fc.stringMatching(/^[1-9][0-9]{19,23}$/), fc.constantFrom('s', 'm', 'h'), fc.constantFrom('', '30m', '15s'))
  .map(([digits, unit, rest]) => ({
    apiVersion: 'netscale.dev/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name: 'huge-timeout' },
    spec: {
      platform: 'ack',
      cni: 'terway',
      kubernetesVersion: '1.27',
      nodes: 1000,
      region: 'cn-shanghai',
      networkPolicy: 'relay',
      argocd: { repoURL: 'https://git.example.com/platform/netscale-fleet.git', restartTimeout: `${digits}${unit}${unit === 'h' ? rest : ''}` },
    },
  }));
