/** Upstream facts about kube-proxy's configuration that the construct, the rules and the review rely on. */

export const KUBE_PROXY_API_VERSION = 'kubeproxy.config.k8s.io/v1alpha1';
export const KUBE_PROXY_KIND = 'KubeProxyConfiguration';

export const IPVS_SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'mh'] as const;
export type IpvsScheduler = (typeof IPVS_SCHEDULERS)[number];
export const KUBE_PROXY_MODES = ['ipvs', 'nftables'] as const;
export type KubeProxyMode = (typeof KUBE_PROXY_MODES)[number];

/** What kube-proxy uses when its configuration is silent, and what netscale renders then. */
export const KUBE_PROXY_DEFAULTS = {
  mode: 'ipvs',
  scheduler: 'rr',
  syncPeriod: '30s',
  minSyncPeriod: '1s',
  metricsBindAddress: '127.0.0.1:10249',
  configMapKey: 'config.conf',
  kubeconfig: '/var/lib/kube-proxy/kubeconfig.conf',
} as const;

/** Where kube-proxy reads its configuration on a platform that runs it as a DaemonSet. */
export interface KubeProxyPreset {
  readonly configMapName: string;
  readonly configMapKey: string;
  readonly daemonSet: string;
  /** clientConnection.kubeconfig: the DaemonSet mounts the ConfigMap at /var/lib/kube-proxy. */
  readonly kubeconfig: string;
}

/** kubeadm's ConfigMap also holds kubeconfig.conf; ACK's DaemonSet is kube-proxy-worker. */
export const KUBE_PROXY_PRESETS: Readonly<Record<'kubeadm' | 'ack', KubeProxyPreset>> = {
  kubeadm: { configMapName: 'kube-proxy', configMapKey: 'config.conf', daemonSet: 'kube-proxy', kubeconfig: '/var/lib/kube-proxy/kubeconfig.conf' },
  ack: {
    configMapName: 'kube-proxy-worker',
    configMapKey: 'config.conf',
    daemonSet: 'kube-proxy-worker',
    kubeconfig: '/var/lib/kube-proxy/kubeconfig.conf',
  },
};

/** k3s runs kube-proxy inside its own process, configured by `kube-proxy-arg` in this file. */
export const K3S_CONFIG_FILE = '/etc/rancher/k3s/config.yaml';

/**
 * Every field KubeProxyConfiguration v1alpha1 has, by parent path (kubernetes/kubernetes
 * staging/src/k8s.io/kube-proxy/config/v1alpha1/types.go and component-base's client and
 * logging types). `featureGates` is a map of gate names and is not listed further.
 */
import { Citation } from '../../core/references';
export const KUBE_PROXY_CONFIGURATION_FIELDS: Readonly<Record<string, readonly string[]>> = {
  '': [
    'apiVersion',
    'kind',
    'featureGates',
    'clientConnection',
    'logging',
    'hostnameOverride',
    'bindAddress',
    'healthzBindAddress',
    'metricsBindAddress',
    'bindAddressHardFail',
    'enableProfiling',
    'showHiddenMetricsForVersion',
    'mode',
    'iptables',
    'ipvs',
    'nftables',
    'winkernel',
    'detectLocalMode',
    'detectLocal',
    'clusterCIDR',
    'nodePortAddresses',
    'oomScoreAdj',
    'conntrack',
    'configSyncPeriod',
    'portRange',
    'windowsRunAsService',
  ],
  clientConnection: ['kubeconfig', 'acceptContentTypes', 'contentType', 'qps', 'burst'],
  logging: ['format', 'flushFrequency', 'verbosity', 'vmodule', 'options'],
  'logging.vmodule[]': ['filePattern', 'verbosity'],
  'logging.options': ['text', 'json'],
  'logging.options.text': ['splitStream', 'infoBufferSize'],
  'logging.options.json': ['splitStream', 'infoBufferSize'],
  iptables: ['masqueradeBit', 'masqueradeAll', 'localhostNodePorts', 'syncPeriod', 'minSyncPeriod'],
  ipvs: ['syncPeriod', 'minSyncPeriod', 'scheduler', 'excludeCIDRs', 'strictARP', 'tcpTimeout', 'tcpFinTimeout', 'udpTimeout'],
  nftables: ['masqueradeBit', 'masqueradeAll', 'syncPeriod', 'minSyncPeriod'],
  conntrack: ['maxPerCore', 'min', 'tcpEstablishedTimeout', 'tcpCloseWaitTimeout', 'tcpBeLiberal', 'udpTimeout', 'udpStreamTimeout'],
  winkernel: ['networkName', 'sourceVip', 'enableDSR', 'rootHnsEndpointName', 'forwardHealthCheckVip'],
  detectLocal: ['bridgeInterface', 'interfaceNamePrefix'],
};

/** Fields kube-proxy reads only in IPVS mode, by their profile and construct names. */
export const IPVS_ONLY_FIELDS = ['scheduler', 'strictARP', 'excludeCIDRs', 'udpTimeout', 'tcpTimeout', 'tcpFinTimeout'] as const;

/** Above this many nodes a resync on every endpoint change costs more than it gains. */
export const MIN_SYNC_PERIOD_ZERO_NODE_LIMIT = 500;

/**
 * What an IPVS-only field becomes in nftables mode: its nftables (or conntrack) equivalent, or none.
 * KubeProxyConfiguration v1alpha1 (kubernetes/kube-proxy config/v1alpha1/types.go): the nftables
 * section has only masqueradeBit, masqueradeAll, syncPeriod and minSyncPeriod; conntrack carries
 * the timeouts every mode shares.
 */
export const IPVS_FIELD_IN_NFTABLES: Readonly<Record<(typeof IPVS_ONLY_FIELDS)[number], string>> = {
  scheduler: 'none: nftables picks a Service endpoint at random, with no scheduler to choose',
  strictARP: "none: nftables puts no Service address on a node interface (IPVS's kube-ipvs0), so there are no ARP replies to restrict",
  excludeCIDRs: 'none: nftables flushes only its own kube-proxy table, never rules it did not write',
  udpTimeout: 'conntrack.udpTimeout (Kubernetes 1.29 and newer), set in baseConfig',
  tcpTimeout: 'conntrack.tcpEstablishedTimeout (the tcpEstablishedTimeout field)',
  tcpFinTimeout: 'none: the nearest kube-proxy setting is conntrack.tcpCloseWaitTimeout (the tcpCloseWaitTimeout field)',
};

/**
 * kube-proxy's nftables mode (KEP-3866, feature gate NFTablesProxyMode in
 * kubernetes/kubernetes pkg/features/kube_features.go): alpha and off by default in 1.29, beta and
 * on in 1.31, GA and locked on in 1.33. The configuration's `nftables` section exists from 1.29.
 */
export const NFTABLES_PROXY_MODE = { gate: 'NFTablesProxyMode', alpha: 29, beta: 31, ga: 33 } as const;

/**
 * nftables mode needs Linux 5.13 (kubernetes.io docs, reference/networking/virtual-ips,
 * proxy-mode-nftables) and nft 1.0.1, the oldest knftables drives (kubernetes-sigs/knftables
 * README); Calico's nftables data plane asks the same (docs.tigera.io getting-started/kubernetes/nftables).
 */
export const NFTABLES_MIN_KERNEL: readonly [number, number] = [5, 13];
export const NFT_MIN_VERSION = '1.0.1';

/**
 * KEP-5495 (kubernetes/enhancements keps/sig-network/5495-deprecate-ipvs-mode-in-kube-proxy):
 * IPVS mode is deprecated in 1.35 (kube-proxy warns at start); the KubeProxyIPVS gate is planned
 * for 1.37, to default to off in 1.40 (kube-proxy then exits in IPVS mode unless the gate is set)
 * and lock in 1.43, when the IPVS proxier is removed. Plans, not releases: the review says so.
 */
export const IPVS_DEPRECATION = { deprecated: 35, gate: 37, defaultOff: 40, removed: 43, gateName: 'KubeProxyIPVS' } as const;

/** conntrack.tcpBeLiberal (and conntrack.udpTimeout) exist in KubeProxyConfiguration from 1.29. */
export const CONNTRACK_TCP_BE_LIBERAL_SINCE = 29;

/**
 * ACK offers kube-proxy's nftables mode from Kubernetes 1.35, chosen when a cluster is created:
 * the Alibaba Cloud Terraform provider documents `proxy_mode` as ForceNew, with iptables, ipvs
 * (the default) and nftables, "Supported only for clusters running Kubernetes 1.35 or later"
 * (aliyun/terraform-provider-alicloud website/docs/r/cs_managed_kubernetes.html.markdown).
 */
export const ACK_NFTABLES_SINCE = 35;
export const ACK_NFTABLES_SOURCE: Citation = [
  {
    title: 'Alibaba Cloud Terraform provider: alicloud_cs_managed_kubernetes, proxy_mode',
    url: 'https://registry.terraform.io/providers/aliyun/alicloud/latest/docs/resources/cs_managed_kubernetes#proxy_mode',
  },
];
