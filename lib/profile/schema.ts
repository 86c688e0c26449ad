/**
 * The ClusterProfile contract, in one place.
 *
 * TypeScript types are inferred from this schema, the editor JSON Schema in `schema/` is generated
 * from it, and the README's field reference is generated from that. Defaults that depend on other
 * fields (the platform, the CNI, the node count) are applied by `resolve.ts`, which records why;
 * `default` here is documentation for editors and the README.
 */
import { z } from 'zod';
import { CREDENTIAL_MESSAGE, isCredentialKey } from './credentials';

export const API_VERSION = 'netscale.dev/v1alpha1';
export const KIND = 'ClusterProfile';

export const PLATFORMS = ['ack', 'kubeadm', 'k3s'] as const;
export const CNIS = ['terway', 'calico', 'cilium'] as const;
export const NETWORK_POLICY_MODES = ['relay', 'direct', 'disabled'] as const;

/** Attach the description (and, for documentation only, the default) an editor shows. */
function doc<T extends z.ZodType>(schema: T, description: string, defaultValue?: unknown): T {
  return schema.meta(defaultValue === undefined ? { description } : { description, default: defaultValue }) as T;
}

const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a DNS label: lowercase letters, digits and "-", at most 63 characters, starting and ending with a letter or digit');

// Kubernetes allows 253 characters; each object is also a file <Kind>.<name>.k8s.yaml, which
// must fit the 255 bytes a file name may have.
const dnsSubdomain = z
  .string()
  .max(200, 'must be at most 200 characters: the name also names a file in dist/')
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a DNS subdomain: lowercase letters, digits, "-" and "."');

/** CIDRs are checked for shape here and for meaning (host bits, overlaps) in rules.ts. */
const cidr = z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'must be a CIDR such as 10.0.0.0/16');

const quantity = z
  .string()
  .regex(/^([0-9]+(\.[0-9]+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/, 'must be a Kubernetes quantity such as 250m, 1, 512Mi or 2Gi');

const image = z
  .string()
  .regex(/^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$/, 'must be a pinned image reference: registry/repository:tag or @sha256 digest')
  .refine((ref) => !/:latest$/.test(ref), 'must not use the tag "latest": pin a version');

const vswitchId = z.string().regex(/^vsw-[a-z0-9]+$/, 'must be a vSwitch id such as vsw-uf6f3kzjv1rh8j7z1bp0a');
const securityGroupId = z.string().regex(/^sg-[a-z0-9]+$/, 'must be a security group id such as sg-uf6bxk4v6mj2cq1a4tkd');
const zoneId = z.string().regex(/^[a-z]{2}-[a-z0-9-]+$/, 'must be an Alibaba Cloud zone id such as cn-shanghai-f');

export const typhaSchema = z
  .strictObject({
    replicas: doc(z.int().min(1), 'Explicit replica count. Overrides the sizing rule and passes the same checks (fewer than nodes, at most maxReplicas).').optional(),
    nodesPerReplica: doc(z.int().min(1), 'Nodes one Typha replica serves in the sizing rule.', 200).optional(),
    minReplicas: doc(z.int().min(1), 'Fewest replicas the sizing rule gives.', 3).optional(),
    maxReplicas: doc(z.int().min(1), 'Most replicas the sizing rule gives; a capped result is warned about.', 20).optional(),
    image: doc(image, 'Typha image, pinned. ACK: registry-vpc.<region>.aliyuncs.com/acs/typha:v3.5.8; elsewhere the upstream Calico image.').optional(),
    serviceAccountName: doc(dnsSubdomain, 'Service account Typha runs as. ACK: terway (reused); elsewhere calico-typha, created with its RBAC.').optional(),
    bgpPeerCrd: doc(z.boolean(), 'Emit the bgppeers.crd.projectcalico.org CRD Typha watches (Terway\'s chart lacks it). Default: true on ACK, false elsewhere.').optional(),
    logSeverity: doc(z.enum(['debug', 'info', 'warning', 'error', 'fatal']), 'TYPHA_LOGSEVERITYSCREEN.', 'info').optional(),
    shutdownTimeoutSeconds: doc(z.int().min(1).max(3600), 'TYPHA_SHUTDOWNTIMEOUTSECS: how long Typha takes to move its Felix connections away before it exits.', 300).optional(),
    resources: doc(
      z.strictObject({
        cpu: doc(quantity, 'CPU request.', '250m').optional(),
        memory: doc(quantity, 'Memory request.', '256Mi').optional(),
      }),
      'Resource requests of the Typha container.',
    ).optional(),
    tls: doc(
      z.strictObject({
        secretName: doc(dnsSubdomain, 'Secret holding the Typha server certificate and key (keys tls.crt and tls.key).'),
        caConfigMapName: doc(dnsSubdomain, 'ConfigMap holding the CA bundle that signed the Felix client certificates (key ca.crt).'),
        clientCommonName: doc(z.string().min(1), 'TYPHA_CLIENTCN: the common name a Felix client certificate must carry.').optional(),
        clientUriSan: doc(z.string().min(1), 'TYPHA_CLIENTURISAN: the URI SAN a Felix client certificate must carry.').optional(),
      }),
      'Mutual TLS between Felix and Typha. Certificates stay in the cluster; only their names appear here.',
    ).optional(),
  })
  .meta({ description: 'Calico Typha relay between Felix agents and the API server (seeds 000/001).' });

export const terwaySchema = z
  .strictObject({
    mode: doc(z.enum(['patch', 'full']), 'patch: own only felix_relay_service and disable_network_policy, by server-side apply. full: render the whole eni-config. Default: full when eni_conf fields are given, else patch.').optional(),
    vswitches: doc(z.record(zoneId, z.array(vswitchId).min(1, 'must list at least one vSwitch')), 'Zone to pod vSwitch ids (eni_conf.vswitches). Add vSwitches of the same zone to expand (seed 003).').optional(),
    securityGroups: doc(z.array(securityGroupId).min(1).max(10, 'must list at most 10 security groups (Terway\'s limit)'), 'Security groups of the ENIs (eni_conf.security_group or security_groups), at most 10.').optional(),
    serviceCidr: doc(cidr, 'Service CIDR of the cluster (eni_conf.service_cidr).').optional(),
    pool: doc(
      z.strictObject({
        min: doc(z.int().min(0), 'min_pool_size: idle pod IPs a node keeps ready.', 0).optional(),
        max: doc(z.int().min(0), 'max_pool_size: idle pod IPs above which a node releases them.', 5).optional(),
      }),
      'IP pool watermarks per node (seed 003 uses 20 and 80).',
    ).optional(),
    vswitchSelectionPolicy: doc(z.enum(['ordered', 'random']), 'eni_conf.vswitch_selection_policy: how Terway picks among a zone\'s vSwitches (seed 003: ordered).', 'ordered').optional(),
    eniTags: doc(z.record(z.string().min(1), z.string()), 'eni_conf.eni_tags: tags put on the ENIs Terway creates.').optional(),
    credentialPath: doc(z.string().startsWith('/'), 'eni_conf.credential_path: where Terway reads its RAM credentials on the node.', '/var/addon/token-config').optional(),
    ipStack: doc(z.enum(['ipv4', 'dual'], 'must be ipv4 or dual: Terway does not run IPv6-only'), 'eni_conf.ip_stack: ipv4 or dual (Terway does not run IPv6-only).', 'ipv4').optional(),
    eniConf: doc(
      z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be an eni_conf key in snake_case'), z.unknown()).superRefine((conf, ctx) => {
        for (const key of Object.keys(conf)) if (isCredentialKey(key)) ctx.addIssue({ code: 'custom', path: [key], message: CREDENTIAL_MESSAGE });
      }),
      'Other eni_conf keys Terway knows, passed through as given (e.g. enable_eni_trunking).').optional(),
    baseEniConf: doc(z.string().min(1), 'The cluster\'s current eni_conf (JSON, from `kubectl -n kube-system get cm eni-config -o jsonpath=\'{.data.eni_conf}\'`): its keys the profile does not set are kept in full mode.').optional(),
    cniConf: doc(z.record(z.string(), z.unknown()), '10-terway.conf content.', { cniVersion: '0.3.0', name: 'terway', type: 'terway' }).optional(),
    inClusterLoadBalance: doc(z.boolean(), 'in_cluster_loadbalance key (full mode only).').optional(),
    vswitchCidrs: doc(z.record(vswitchId, cidr), 'vSwitch id to its CIDR, to check IP capacity per zone (seed 003).').optional(),
    nodesPerZone: doc(z.record(zoneId, z.int().min(0)), 'Nodes in each zone for the capacity check. Default: nodes spread evenly over the zones of vswitches.').optional(),
  })
  .meta({ description: 'Terway eni-config (seeds 000/001/003). ACK with cni terway only.' });

const MAX_RESTART_SECONDS = 7 * 24 * 3600;

/** Seconds in whole hours, minutes and seconds such as 1h30m. */
export function durationSeconds(duration: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1 };
  let total = 0;
  for (const [, n, unit] of duration.matchAll(/(\d+)([hms])/g)) total += Number(n) * units[unit];
  return total;
}

/** A Go duration as kube-proxy parses it: 30s, 1m30s, 250ms, 0s. */
export const goDuration = z
  .string()
  .regex(/^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$/, 'must be a Go duration such as 30s, 1m30s or 250ms');

export const IPVS_SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'mh'] as const;

export const kubeProxySchema = z
  .strictObject({
    mode: doc(z.enum(['ipvs', 'nftables']), 'Proxy mode. nftables needs Kubernetes 1.31 or newer (GA in 1.33).', 'ipvs').optional(),
    scheduler: doc(z.enum(IPVS_SCHEDULERS, `must be an IPVS scheduler: ${IPVS_SCHEDULERS.join(', ')}`), 'IPVS scheduler; seed 002 uses lc (least connections) for busy data planes.', 'rr').optional(),
    syncPeriod: doc(goDuration, 'Full resync interval (ipvs.syncPeriod or nftables.syncPeriod).', '30s').optional(),
    minSyncPeriod: doc(goDuration, 'Shortest interval between resyncs; 0s resyncs on every endpoint change. Default: kept from baseConfig, else 1s.').optional(),
    conntrackMax: doc(z.int().min(1), 'Target nf_conntrack_max: maxPerCore = ceil(conntrackMax / cpuPerNode), min = conntrackMax (seed 002: 2310720).').optional(),
    conntrackMaxPerCore: doc(z.int().min(0), 'conntrack.maxPerCore, explicit. 0 leaves the kernel setting alone.', 32768).optional(),
    conntrackMin: doc(z.int().min(0), 'conntrack.min, explicit.', 131072).optional(),
    tcpEstablishedTimeout: doc(goDuration, 'conntrack.tcpEstablishedTimeout.', '24h0m0s').optional(),
    tcpCloseWaitTimeout: doc(goDuration, 'conntrack.tcpCloseWaitTimeout.', '1h0m0s').optional(),
    udpTimeout: doc(goDuration, 'ipvs.udpTimeout; ACK advises 10s in IPVS mode.').optional(),
    tcpTimeout: doc(goDuration, 'ipvs.tcpTimeout: idle timeout of IPVS TCP sessions; 0s keeps the kernel\'s.').optional(),
    tcpFinTimeout: doc(goDuration, 'ipvs.tcpFinTimeout: IPVS TCP sessions after a FIN; 0s keeps the kernel\'s.').optional(),
    strictARP: doc(z.boolean(), 'ipvs.strictARP (needed by MetalLB and kube-vip in IPVS mode).', false).optional(),
    excludeCIDRs: doc(z.array(cidr), 'ipvs.excludeCIDRs: IPVS rules kube-proxy leaves alone.').optional(),
    clusterCIDR: doc(z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}(,[0-9a-fA-F:.]+\/\d{1,3})?$/, 'must be a CIDR, or an IPv4 and an IPv6 CIDR separated by a comma'), 'clusterCIDR: the pod network.').optional(),
    metricsBindAddress: doc(z.string().regex(/^([0-9.]+|\[[0-9a-fA-F:]+\]|[0-9a-fA-F:]+)?:[0-9]{1,5}$/, 'must be host:port such as 0.0.0.0:10249'), 'metricsBindAddress.', '127.0.0.1:10249').optional(),
    configMapName: doc(dnsSubdomain, 'ConfigMap kube-proxy reads. Default: kube-proxy (kubeadm, k3s), kube-proxy-worker (ACK).').optional(),
    configMapKey: doc(z.string().regex(/^[-._a-zA-Z0-9]+$/, 'must be a ConfigMap key'), 'Key of the KubeProxyConfiguration in the ConfigMap.', 'config.conf').optional(),
    baseConfig: doc(z.string().min(1), 'The cluster\'s current KubeProxyConfiguration as YAML; netscale changes only the tuned fields and keeps the rest.').optional(),
    kubeconfigPath: doc(z.string().startsWith('/'), 'clientConnection.kubeconfig when there is no baseConfig.', '/var/lib/kube-proxy/kubeconfig.conf').optional(),
  })
  .meta({ description: 'kube-proxy tuning (seed 002): IPVS scheduler, sync periods, conntrack sizing.' });

export const calicoIpPoolSchema = z.strictObject({
  name: doc(dnsSubdomain, 'IPPool name.'),
  cidr: doc(cidr, 'Pool CIDR.'),
  blockSize: doc(z.int().min(0).max(128), 'Per-node block size; the same in every pool (seed 002: 27).', 26).optional(),
  ipipMode: doc(z.enum(['Always', 'CrossSubnet', 'Never']), 'IP-in-IP encapsulation.', 'Never').optional(),
  vxlanMode: doc(z.enum(['Always', 'CrossSubnet', 'Never']), 'VXLAN encapsulation.', 'Never').optional(),
  natOutgoing: doc(z.boolean(), 'SNAT traffic leaving the pool.', true).optional(),
  nodeSelector: doc(z.string().min(1), 'Nodes that take addresses from this pool (Calico selector).', 'all()').optional(),
  disabled: doc(z.boolean(), 'Keep the pool but hand out no new addresses.', false).optional(),
});

export const calicoSchema = z
  .strictObject({
    ipPools: doc(z.array(calicoIpPoolSchema).min(1), 'IP pools (seed 002: one blockSize, 27, in every pool).').optional(),
    mtu: doc(z.int().min(576).max(9216), 'Underlay (node network) MTU; the tunnel MTU is derived from it.', 1500).optional(),
    wireguard: doc(z.boolean(), 'WireGuard encryption between nodes (60 bytes of MTU).', false).optional(),
    bgp: doc(
      z.strictObject({
        asNumber: doc(z.int(), 'The cluster\'s AS number (1 to 4294967295).', 64512).optional(),
        routeReflectors: doc(
          z.strictObject({
            nodeSelector: doc(z.string(), 'Label selector of the route reflector nodes, e.g. route-reflector == \'true\'.'),
            clusterId: doc(z.string().regex(/^([0-9]{1,3}\.){3}[0-9]{1,3}$/, 'must be an IPv4-formatted id such as 244.0.0.1'), 'routeReflectorClusterID set on the reflector nodes.', '244.0.0.1').optional(),
            nodes: doc(z.array(dnsSubdomain).min(2, 'must name at least two reflector nodes: one reflector is a single point of failure for every route'), 'Names of the reflector nodes (at least two): the review gives their labelling commands, to run before the sync.'),
          }),
          'Route reflectors: the full node-to-node mesh is turned off.',
        ).optional(),
      }),
      'BGP peering (seed 002, option two).',
    ).optional(),
  })
  .meta({ description: 'Calico IP pools, encapsulation and BGP route reflectors (seed 002).' });

export const CILIUM_ROUTING_MODES = ['native', 'tunnel'] as const;

export const ciliumSchema = z
  .strictObject({
    version: doc(z.string().regex(/^1\.[0-9]{1,2}\.[0-9]{1,3}$/, 'must be an exact chart version such as 1.13.4 or 1.18.12'), 'Exact Cilium chart version (1.13.0 or newer).'),
    k8sServiceHost: doc(z.string().min(1), 'API server address the agents use without kube-proxy (an IP or DNS name; not "auto" under Argo CD).'),
    k8sServicePort: doc(z.int().min(1).max(65535), 'API server port.'),
    routingMode: doc(z.enum(CILIUM_ROUTING_MODES), 'native routing or a tunnel.', 'tunnel').optional(),
    tunnelProtocol: doc(z.enum(['vxlan', 'geneve']), 'Tunnel protocol when routingMode is tunnel.', 'vxlan').optional(),
    ipv4NativeRoutingCidr: doc(cidr, 'ipv4NativeRoutingCIDR: traffic to it is not masqueraded; required with native routing.').optional(),
    autoDirectNodeRoutes: doc(z.boolean(), 'Install routes to other nodes\' pod CIDRs (nodes on one L2 segment); native routing only.', false).optional(),
    loadBalancer: doc(
      z.strictObject({
        mode: doc(z.enum(['snat', 'dsr', 'hybrid']), 'Service load-balancing mode.', 'snat').optional(),
        acceleration: doc(z.enum(['disabled', 'native', 'best-effort']), 'XDP acceleration.', 'disabled').optional(),
        dsrDispatch: doc(z.enum(['opt', 'geneve']), 'How DSR carries the service address (geneve needs 1.14 or newer).', 'opt').optional(),
      }),
      'Service load balancing.',
    ).optional(),
    bpfMasquerade: doc(z.boolean(), 'Masquerade in eBPF instead of iptables.', false).optional(),
    hubble: doc(
      z.strictObject({
        relay: doc(z.boolean(), 'Hubble relay.', false).optional(),
        ui: doc(z.boolean(), 'Hubble UI (needs relay).', false).optional(),
      }),
      'Hubble observability.',
    ).optional(),
    operatorReplicas: doc(z.int().min(1), 'Cilium operator replicas (not more than nodes).', 2).optional(),
    delivery: doc(z.enum(['argocd', 'k3s', 'values']), 'How the chart is installed. Default: k3s on k3s, argocd when spec.argocd is set, else values.').optional(),
    values: doc(z.record(z.string(), z.unknown()), 'Extra chart values, merged last and checked like the rest.').optional(),
  })
  .meta({ description: 'Cilium as a full kube-proxy replacement (seed 004), version-aware.' });

export const argocdSchema = z
  .strictObject({
    repoURL: doc(z.string().min(1), 'Git repository Argo CD reads dist/ from.'),
    targetRevision: doc(z.string().min(1), 'Branch, tag or commit.', 'main').optional(),
    path: doc(z.string().min(1), 'Folder of the rendered output in the repository.', 'dist').optional(),
    project: doc(dnsSubdomain, 'Argo CD project.', 'default').optional(),
    namespace: doc(dnsLabel, 'Namespace Argo CD runs in (where Applications live).', 'argocd').optional(),
    kubectlImage: doc(image, 'kubectl image of the PostSync restart Jobs, pinned.', 'registry.k8s.io/kubectl:v1.28.15').optional(),
    restartTimeout: doc(
      z
        .string()
        .regex(/^(?=\d)(\d{1,6}h)?(\d{1,6}m)?(\d{1,6}s)?$/, 'must be whole hours, minutes and seconds such as 30m or 1h30m')
        .refine((t) => /[1-9]/.test(t), 'must be longer than zero')
        .refine((t) => durationSeconds(t) <= MAX_RESTART_SECONDS, 'must be at most 168h: a rollout that takes longer needs a larger maxUnavailable'),
      'How long a restart Job waits for its DaemonSet\'s rollout. Default: 20s per node, at least 30m.').optional(),
    destination: doc(
      z.strictObject({
        server: doc(z.string().regex(/^https:\/\/\S+$/, 'must be an https:// API server URL'), 'API server URL of the target cluster.').optional(),
        name: doc(z.string().min(1), 'Name of the target cluster as registered in Argo CD.').optional(),
      }),
      'Target cluster: a server URL or a name, not both.',
      { server: 'https://kubernetes.default.svc' },
    ).optional(),
  })
  .meta({ description: 'Argo CD delivery of dist/ (Applications in dist/argocd/).' });

export const specSchema = z.strictObject({
  platform: doc(z.enum(PLATFORMS), 'Where the cluster runs: ack (Alibaba Cloud ACK), kubeadm or k3s.'),
  cni: doc(z.enum(CNIS), 'The CNI: terway (ack only), calico or cilium.'),
  kubernetesVersion: doc(
    z.string().regex(/^1\.[0-9]{1,2}(\.[0-9]{1,3})?$/, 'must be a Kubernetes version such as "1.27" or "1.27.3" (quote it: 1.30 unquoted is the number 1.3)'),
    'Kubernetes minor version, quoted, e.g. "1.27".',
  ),
  nodes: doc(z.int().min(1).max(100000), 'Nodes now or planned: the sizing rules scale with it.'),
  cpuPerNode: doc(z.int().min(1).max(1024), 'CPU cores per node (conntrack sizing).').optional(),
  maxPodsPerNode: doc(z.int().min(1).max(1024), 'Most pods a node runs (IP capacity check).').optional(),
  region: doc(z.string().regex(/^[a-z]{2}-[a-z0-9-]+$/, 'must be an Alibaba Cloud region id such as cn-shanghai'), 'Alibaba Cloud region id; ack only (required there).').optional(),
  networkPolicy: doc(z.enum(NETWORK_POLICY_MODES), 'relay: Felix talks to the API server through Typha. direct: every Felix watches the API server. disabled: NetworkPolicy off (Terway).', 'direct').optional(),
  serviceCidr: doc(cidr, 'Service CIDR of the cluster (overlap checks; Terway\'s eni_conf.service_cidr by default).').optional(),
  typha: typhaSchema.optional(),
  terway: terwaySchema.optional(),
  kubeProxy: kubeProxySchema.optional(),
  calico: calicoSchema.optional(),
  cilium: ciliumSchema.optional(),
  argocd: argocdSchema.optional(),
});

export const clusterProfileSchema = z
  .strictObject({
    apiVersion: doc(z.literal(API_VERSION), 'Always netscale.dev/v1alpha1.'),
    kind: doc(z.literal(KIND), 'Always ClusterProfile.'),
    metadata: z.strictObject({
      name: doc(dnsLabel, 'Cluster name: names the chart, its output folder dist/<name>/ and its review.'),
      labels: doc(z.record(z.string(), z.string()), 'Free-form labels, not rendered.').optional(),
    }),
    spec: specSchema,
  })
  .meta({ title: 'netscale ClusterProfile', description: 'One cluster\'s network tuning, rendered by netscale into dist/<name>/.' });

export type ClusterProfile = z.infer<typeof clusterProfileSchema>;
export type ClusterSpec = ClusterProfile['spec'];
export type TyphaSpec = NonNullable<ClusterSpec['typha']>;
export type TerwaySpec = NonNullable<ClusterSpec['terway']>;
export type Platform = ClusterSpec['platform'];
export type Cni = ClusterSpec['cni'];
export type NetworkPolicyMode = NonNullable<ClusterSpec['networkPolicy']>;
export type KubeProxySpec = NonNullable<ClusterSpec['kubeProxy']>;
export type CalicoSpec = NonNullable<ClusterSpec['calico']>;
export type CalicoIpPoolSpec = NonNullable<CalicoSpec['ipPools']>[number];
export type CiliumSpec = NonNullable<ClusterSpec['cilium']>;
export type ArgocdSpec = NonNullable<ClusterSpec['argocd']>;

/** The editor schema (JSON Schema draft-07) written to schema/clusterprofile.schema.json. */
export function profileJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(clusterProfileSchema, { target: 'draft-7' }) as Record<string, unknown>;
}
