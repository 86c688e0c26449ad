/**
 * What the alerts rely on: the metric names and labels each exporter really emits, where they come
 * from, and the defaults of spec.monitoring. Every expression in `alert-rules.ts` uses these names.
 */

/** The alert names are part of the profile contract: keep them. */
export const ALERT_NAMES = [
  'NetscaleConntrackTableFilling',
  'NetscaleConntrackLimitNotApplied',
  'NetscaleTyphaConnectionsUnbalanced',
  'NetscaleTyphaConnectionsNearLimit',
  'NetscaleApiServerWatchesHigh',
  'NetscaleTerwayIpPoolExhausted',
  'NetscaleKubeProxySyncSlow',
  'NetscaleCiliumBpfMapPressure',
] as const;
export type AlertName = (typeof ALERT_NAMES)[number];

/** The exporters the alerts read, by the key of spec.monitoring.jobSelectors. */
export const METRIC_SOURCES = ['nodeExporter', 'kubeProxy', 'typha', 'apiServer', 'kubeStateMetrics', 'terway', 'cilium'] as const;
export type MetricSource = (typeof METRIC_SOURCES)[number];

/**
 * node_exporter's conntrack collector (enabled by default): node_nf_conntrack_entries reads
 * /proc/sys/net/netfilter/nf_conntrack_count and node_nf_conntrack_entries_limit nf_conntrack_max,
 * both without labels of their own (prometheus/node_exporter collector/conntrack_linux.go).
 * node_cpu_seconds_total has one series per CPU and mode (collector/cpu_linux.go): counting the
 * idle ones counts the node's CPUs.
 */
export const NODE_EXPORTER = {
  conntrackEntries: 'node_nf_conntrack_entries',
  conntrackLimit: 'node_nf_conntrack_entries_limit',
  cpuSeconds: 'node_cpu_seconds_total',
} as const;

/**
 * Typha's gauge of open client connections, handshakes included, with no labels of its own
 * (projectcalico/calico typha/pkg/syncserver/sync_server.go; present since v3.5). Served when
 * TYPHA_PROMETHEUSMETRICSENABLED is true.
 */
export const TYPHA_CONNECTIONS_ACTIVE = 'typha_connections_active';

/**
 * In-flight long-running requests of the API server by verb and resource, STABLE, with labels
 * verb, group, version, resource, subresource, scope, component (kubernetes/apiserver
 * pkg/endpoints/metrics/metrics.go). apiserver_registered_watchers was removed in 1.25.
 */
export const APISERVER_LONGRUNNING_REQUESTS = 'apiserver_longrunning_requests';
/**
 * Calico's own resources: only Calico components watch them (Felix, or Typha for it; confd;
 * calico-kube-controllers), so their watch count is where Felix agents bypassing Typha show, free
 * of the kubelets' and kube-proxies' watches on core resources.
 */
export const CALICO_CRD_GROUP = 'crd.projectcalico.org';

/**
 * Terway's idle addresses per node pool, labels `type` (LocalIP, RemoteIP) and `ipStack` (ipv4,
 * ipv6), updated only by the per-node pool of non-CRD IPAM (AliyunContainerService/terway
 * pkg/metric/resource_pool.go, pkg/eni/local.go). terwayd serves /metrics only on the unix
 * socket /var/run/eni/eni_debug.socket (cmd/terway/main.go, daemon/server.go): scraping it takes a
 * proxy, as the repository's monitoring/terway-metric-proxy.yml does.
 */
export const TERWAY_POOL_IDLE = 'terway_resource_pool_idle_count';

/**
 * Terway has no metric for pods waiting on an address. What it has is the Node condition
 * SufficientIP: False (reason InsufficientIP) when an allocation found no vSwitch address (terwayd,
 * pkg/eni/manager.go SetIPExhaustive) or when a node has no idle address and no ENI that can take
 * one (terway-controlplane, pkg/controller/multi-ip/node/pool.go). kube-state-metrics exports
 * every Node condition as kube_node_status_condition{node, condition, status="true|false|unknown"}
 * (kubernetes/kube-state-metrics docs/node-metrics.md, internal/store/node.go).
 */
export const TERWAY_IP_CONDITION = 'SufficientIP';
export const KUBE_NODE_STATUS_CONDITION = 'kube_node_status_condition';

/**
 * kube-proxy's rule-sync latency histogram, buckets 1 ms x 2^0..2^14 (0.001 to 16.384 s), label
 * ip_family from 1.33 (kubernetes/kubernetes pkg/proxy/metrics/metrics.go). A sync period above
 * the top bucket cannot be measured: histogram_quantile then reports the top bucket's bound.
 */
export const KUBE_PROXY_SYNC_DURATION = 'kubeproxy_sync_proxy_rules_duration_seconds';
export const KUBE_PROXY_SYNC_TOP_BUCKET_SECONDS = 16.384;

/**
 * Fill ratio of each BPF map with a pressure gauge, label map_name; default-enabled, served only
 * with the chart's prometheus.enabled: true on port 9962 (cilium/cilium
 * Documentation/observability/metrics.rst).
 */
export const CILIUM_BPF_MAP_PRESSURE = 'cilium_bpf_map_pressure';
export const CILIUM_AGENT_METRICS_PORT = 9962;

/** Thresholds the contract fixes. */
export const ALERT_THRESHOLDS = {
  /** Share of Typha's own per-replica limit. */
  typhaConnectionsOfLimit: 0.8,
  /** Busiest replica against the mean of all. */
  typhaUnbalancedFactor: 2,
  ciliumMapPressure: 0.9,
  /** p99 of kube-proxy's rule syncs. */
  kubeProxySyncQuantile: 0.99,
} as const;

/** What spec.monitoring renders when its fields are silent. */
export const MONITORING_DEFAULTS = {
  /** node-mixin's NodeHighNumberConntrackEntriesUsed warns at 75% (node_exporter docs/node-mixin). */
  conntrackWarnRatio: 0.75,
  /** Watches on Calico's resources may exceed the model's prediction by this factor. */
  apiServerWatchMargin: 2,
  namespace: 'kube-system',
  ruleName: 'netscale-alerts',
} as const;
