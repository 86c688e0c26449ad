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
  ack: { configMapName: 'kube-proxy-worker', configMapKey: 'config.conf', daemonSet: 'kube-proxy-worker', kubeconfig: '/var/lib/kube-proxy/kubeconfig.conf' },
};

/** k3s runs kube-proxy inside its own process, configured by `kube-proxy-arg` in this file. */
export const K3S_CONFIG_FILE = '/etc/rancher/k3s/config.yaml';

/**
 * Every field KubeProxyConfiguration v1alpha1 has, by parent path (kubernetes/kubernetes
 * staging/src/k8s.io/kube-proxy/config/v1alpha1/types.go and component-base's client and
 * logging types). `featureGates` is a map of gate names and is not listed further.
 */
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
