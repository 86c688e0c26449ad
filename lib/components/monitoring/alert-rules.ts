/**
 * The alerts as a pure function of the capacity model: each expression over the series its
 * exporter really emits (facts.ts), each threshold from the profile or the model, with the words
 * the review and the annotations explain it in.
 */
import { formatCount } from '../../core/format';
import {
  ALERT_THRESHOLDS,
  AlertName,
  APISERVER_LONGRUNNING_REQUESTS,
  CALICO_CRD_GROUP,
  CILIUM_BPF_MAP_PRESSURE,
  KUBE_NODE_STATUS_CONDITION,
  KUBE_PROXY_SYNC_DURATION,
  KUBE_PROXY_SYNC_TOP_BUCKET_SECONDS,
  MetricSource,
  NODE_EXPORTER,
  TERWAY_IP_CONDITION,
  TERWAY_POOL_IDLE,
  TYPHA_CONNECTIONS_ACTIVE,
} from './facts';
import { selector } from './selectors';

export type AlertSeverity = 'warning' | 'critical';

/** One alerting rule, with what the review says of it. */
export interface NetscaleAlert {
  readonly alert: AlertName;
  /** The rule group it belongs to (one per source). */
  readonly group: string;
  readonly expr: string;
  /** At most 15m. */
  readonly for: string;
  readonly severity: AlertSeverity;
  readonly summary: string;
  /** Annotation text, a Prometheus template: the number it was computed from and why. */
  readonly description: string;
  /** The expression in words, for the review. */
  readonly meaning: string;
  readonly threshold: string;
  /** Where the threshold comes from. */
  readonly thresholdSource: string;
}

/** kube-proxy's conntrack settings as netscale renders them. */
export interface ConntrackModel {
  readonly maxPerCore: number;
  readonly min: number;
  /** spec.cpuPerNode: the limit for nodes node_exporter shows no CPUs of. */
  readonly cpuPerNode?: number;
  /** The profile fields they come from, for the review. */
  readonly source: string;
}

export interface TyphaModel {
  readonly nodes: number;
  readonly replicas: number;
  /** Typha's own per-replica connection limit, as the review computes it. */
  readonly connectionLimit: number;
  /** The model's API server watches with the relay (replicas x Felix's resource types). */
  readonly watchesWithRelay: number;
  readonly felixResourceTypes: number;
}

export interface AlertModel {
  readonly jobSelectors?: Partial<Record<MetricSource, string>>;
  readonly conntrackWarnRatio: number;
  readonly apiServerWatchMargin: number;
  /** Present where netscale tunes kube-proxy's conntrack limit (maxPerCore above 0). */
  readonly conntrack?: ConntrackModel;
  /** Present where kube-proxy runs: its sync period and where the value comes from. */
  readonly kubeProxy?: { readonly syncPeriodSeconds: number; readonly syncPeriod: string; readonly source: string };
  /** Present where netscale renders the Typha relay. */
  readonly typha?: TyphaModel;
  readonly terway: boolean;
  readonly cilium: boolean;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** Every alert the cluster's model supports, in a fixed order. */
export function netscaleAlerts(model: AlertModel): NetscaleAlert[] {
  const on = (source: MetricSource, ...own: string[]) => selector(model.jobSelectors?.[source], ...own);
  const out: NetscaleAlert[] = [];

  const ratio = model.conntrackWarnRatio;
  const perNode = model.conntrack?.cpuPerNode;
  const onNode = model.conntrack && perNode ? `, ${formatCount(conntrackLimit(model.conntrack, perNode))} on a ${perNode}-CPU node` : '';
  const sizing = model.conntrack ? ` kube-proxy sizes the table to max(${model.conntrack.maxPerCore} x CPUs, ${model.conntrack.min})${onNode}.` : '';
  out.push({
    alert: 'NetscaleConntrackTableFilling',
    group: 'netscale.conntrack',
    expr: `${NODE_EXPORTER.conntrackEntries}${on('nodeExporter')} / ${NODE_EXPORTER.conntrackLimit}${on('nodeExporter')} > ${ratio}`,
    for: '5m',
    severity: 'warning',
    summary: "A node's conntrack table is filling up: when it is full, the kernel drops new connections.",
    description:
      `{{ $labels.instance }}: the conntrack table is {{ $value | humanizePercentage }} full, ` +
      `above ${ratio} of nf_conntrack_max (spec.monitoring.conntrackWarnRatio).${sizing}`,
    meaning: "a node's conntrack entries / nf_conntrack_max above the ratio, for 5m",
    threshold: `${ratio} of nf_conntrack_max`,
    thresholdSource: "spec.monitoring.conntrackWarnRatio (default 0.75, as node_exporter's node-mixin)",
  });

  if (model.conntrack) {
    const c = model.conntrack;
    const limitSeries = `${NODE_EXPORTER.conntrackLimit}${on('nodeExporter')}`;
    // The node's own CPUs where node_exporter shows them (kube-proxy counts the node's CPUs);
    // spec.cpuPerNode for a node it does not.
    const perNode =
      `clamp_min(count by (instance, ` + `job) (${NODE_EXPORTER.cpuSeconds}${on('nodeExporter', 'mode="idle"')}) * ${c.maxPerCore}, ${c.min})`;
    const expected = c.cpuPerNode
      ? `(\n    ${perNode}\n  or on (instance, job)\n    0 * ${limitSeries} + ${conntrackLimit(c, c.cpuPerNode)}\n)`
      : perNode;
    const atProfile = c.cpuPerNode
      ? `; ${formatCount(conntrackLimit(c, c.cpuPerNode))} on ${c.cpuPerNode} CPUs (spec.cpuPerNode) where node_exporter shows no CPUs`
      : '';
    out.push({
      alert: 'NetscaleConntrackLimitNotApplied',
      group: 'netscale.conntrack',
      expr: `${limitSeries}\n  < on (instance, job) group_left ()\n${expected}`,
      for: '10m',
      severity: 'warning',
      summary: "A node's nf_conntrack_max is below what the profile's kube-proxy settings give it: the tuning did not reach the node.",
      description:
        `{{ $labels.instance }}: nf_conntrack_max is {{ $value | humanize }}, below ` +
        `max(${c.maxPerCore} x its CPUs, ${c.min}), which kube-proxy sets ` +
        `from ${c.source}${atProfile}. kube-proxy writes it when it starts: restart kube-proxy on the node, and check that nothing else ` +
        `lowers the sysctl.`,
      meaning: "a node's node_nf_conntrack_entries_limit below max(maxPerCore x its CPUs, min), for 10m",
      threshold: `max(${c.maxPerCore} x CPUs, ${c.min})${atProfile}`,
      thresholdSource: `${c.source}; kube-proxy sets nf_conntrack_max = max(maxPerCore x CPUs, min)`,
    });
  }

  if (model.kubeProxy) {
    const k = model.kubeProxy;
    const measurable = k.syncPeriodSeconds < KUBE_PROXY_SYNC_TOP_BUCKET_SECONDS;
    const quantile =
      `histogram_quantile(${ALERT_THRESHOLDS.kubeProxySyncQuantile}, sum by (instance, le) ` +
      `(rate(${KUBE_PROXY_SYNC_DURATION}_bucket${on('kubeProxy')}[5m])))`;
    out.push({
      alert: 'NetscaleKubeProxySyncSlow',
      group: 'netscale.kube-proxy',
      expr: measurable ? `${quantile} > ${round(k.syncPeriodSeconds)}` : `${quantile} >= ${KUBE_PROXY_SYNC_TOP_BUCKET_SECONDS}`,
      for: '10m',
      severity: 'warning',
      summary: 'kube-proxy takes longer to sync its rules than its sync period: Service changes reach the node late.',
      description: measurable
        ? `{{ $labels.instance }}: the p99 of kube-proxy's rule syncs is {{ $value | humanizeDuration }}, above the sync ` +
          `period ${k.syncPeriod} (${k.source}).`
        : `{{ $labels.instance }}: the p99 of kube-proxy's rule syncs is ` +
          `beyond ${KUBE_PROXY_SYNC_TOP_BUCKET_SECONDS} s, the top of its histogram, on the way to the sync period ${k.syncPeriod} (${k.source}).`,
      meaning: measurable
        ? "the p99 of a node's kube-proxy rule syncs over 5m above the sync period, for 10m"
        : `the p99 of a node's kube-proxy rule syncs over 5m beyond the histogram's top ` +
          `bucket (${KUBE_PROXY_SYNC_TOP_BUCKET_SECONDS} s), the closest it measures to the sync period, for 10m`,
      threshold: measurable ? `${k.syncPeriod}` : `${k.syncPeriod}, measured up to ${KUBE_PROXY_SYNC_TOP_BUCKET_SECONDS} s`,
      thresholdSource: k.source,
    });
  }

  if (model.typha) {
    const t = model.typha;
    const perReplica = `sum by (instance) (${TYPHA_CONNECTIONS_ACTIVE}${on('typha')})`;
    const factor = ALERT_THRESHOLDS.typhaUnbalancedFactor;
    out.push({
      alert: 'NetscaleTyphaConnectionsUnbalanced',
      group: 'netscale.typha',
      expr: `${perReplica}\n  > on () group_left ()\n${factor} * avg (${perReplica})`,
      for: '10m',
      severity: 'warning',
      summary: "One Typha holds more than twice the mean of the replicas' connections: a loss of that replica moves them all at once.",
      description:
        `Typha {{ $labels.instance }} holds {{ $value }} connections, more ` +
        `than ${factor} x the mean of the replicas. Typha sheds connections only above its own limit, which sits well above the mean: check that ` +
        `TYPHA_CONNECTIONREBALANCINGMODE is kubernetes and that every replica is ready.`,
      meaning: `the busiest Typha's typha_connections_active (summed per instance) above ${factor} x the mean of the replicas, for 10m`,
      threshold: `${factor} x the mean`,
      thresholdSource: "the alert's definition: twice the mean of the replicas",
    });
    const nearLimit = round(t.connectionLimit * ALERT_THRESHOLDS.typhaConnectionsOfLimit);
    const share = `${Math.round(ALERT_THRESHOLDS.typhaConnectionsOfLimit * 100)}%`;
    out.push({
      alert: 'NetscaleTyphaConnectionsNearLimit',
      group: 'netscale.typha',
      expr: `${perReplica} > ${nearLimit}`,
      for: '10m',
      severity: 'warning',
      // Above the limit Typha terminates a random connection each drop interval (typha/pkg/syncserver/sync_server.go, governNumberOfConnections).
      summary:
        'A Typha replica is close to the connection limit Typha sets itself: above it, Typha drops a client every second, which reconnects to ' +
        'another replica or, with every replica full, nowhere.',
      description:
        `Typha {{ $labels.instance }} holds {{ $value }} connections, ` +
        `above ${nearLimit}: ${share} of ${formatCount(t.connectionLimit)}, the per-replica limit Typha computes ` +
        `for ${formatCount(t.nodes)} nodes and ${t.replicas} replicas (the review's capacity table). Add replicas or nodes per replica.`,
      meaning: `a replica's typha_connections_active (summed per instance) above ${share} of Typha's per-replica limit, for 10m`,
      threshold: `${nearLimit} connections (${share} of ${formatCount(t.connectionLimit)})`,
      thresholdSource:
        `the capacity table's Typha connections per replica: Typha's own limit ` + `for ${formatCount(t.nodes)} nodes and ${t.replicas} replicas`,
    });
    const watches = Math.ceil(t.watchesWithRelay * model.apiServerWatchMargin);
    out.push({
      alert: 'NetscaleApiServerWatchesHigh',
      group: 'netscale.apiserver',
      expr: `sum (${APISERVER_LONGRUNNING_REQUESTS}${on('apiServer', 'verb="WATCH"', `group="${CALICO_CRD_GROUP}"`)}) > ${watches}`,
      for: '10m',
      severity: 'warning',
      summary: "The API server holds far more watches on Calico's resources than the relay leaves: Felix agents are watching it directly.",
      description:
        `{{ $value }} watches on ${CALICO_CRD_GROUP}, above ${formatCount(watches)}: the model ` +
        `predicts ${formatCount(t.watchesWithRelay)} with the relay (${t.replicas} Typha replicas x ${t.felixResourceTypes} resource types) ` +
        `and the ` +
        `margin is ${model.apiServerWatchMargin}x (spec.monitoring.apiServerWatchMargin). Without the relay every Felix watches them itself: check ` +
        `that calico-node or Terway points Felix at Typha.`,
      meaning:
        `watches on ${CALICO_CRD_GROUP} (apiserver_longrunning_requests, verb WATCH, summed) above the model's prediction with the ` +
        `relay times the margin, for 10m`,
      threshold: `${formatCount(watches)} watches (${formatCount(t.watchesWithRelay)} x ${model.apiServerWatchMargin})`,
      thresholdSource:
        `the capacity table's API server watches with the relay (${t.replicas} x ${t.felixResourceTypes}) ` +
        'x spec.monitoring.apiServerWatchMargin',
    });
  }

  if (model.terway) {
    const ipShortage = on('kubeStateMetrics', `condition="${TERWAY_IP_CONDITION}"`, 'status="false"');
    const condition = `max by (node) (${KUBE_NODE_STATUS_CONDITION}${ipShortage}) == 1`;
    const idle = `min by (node) (sum by (node, ipStack) (${TERWAY_POOL_IDLE}${on('terway')})) > 0`;
    out.push({
      alert: 'NetscaleTerwayIpPoolExhausted',
      group: 'netscale.terway',
      // Comparisons bind tighter than unless: (condition == 1) unless on (node) (idle > 0).
      expr: `${condition}\n  unless on (node)\n${idle}`,
      for: '5m',
      severity: 'critical',
      summary: 'A node has no pod address left while pods wait for one: they stay in ContainerCreating.',
      description:
        `Node {{ $labels.node }} ` +
        `reports ${TERWAY_IP_CONDITION}=False (Terway found no vSwitch address for a pod, or the node has none idle and no ENI room) and its ` +
        `Terway pool has no idle address. Add vSwitches with free addresses in its zone or lower min_pool_size.`,
      meaning:
        `a node with the Node condition ${TERWAY_IP_CONDITION}=False (kube-state-metrics) whose Terway pool shows no idle ` +
        `address (${TERWAY_POOL_IDLE} per IP stack), or shows none at all, for 5m`,
      threshold: `${TERWAY_IP_CONDITION}=False and 0 idle addresses`,
      thresholdSource:
        "Terway's own signals: no metric counts waiting pods, so the Node condition Terway sets when an allocation fails stands for them",
    });
  }

  if (model.cilium) {
    const pressure = ALERT_THRESHOLDS.ciliumMapPressure;
    out.push({
      alert: 'NetscaleCiliumBpfMapPressure',
      group: 'netscale.cilium',
      expr: `${CILIUM_BPF_MAP_PRESSURE}${on('cilium')} > ${pressure}`,
      for: '10m',
      severity: 'critical',
      summary: 'A Cilium BPF map is almost full: new connections, NAT entries or policies stop fitting.',
      description:
        `{{ $labels.instance }}: BPF map {{ $labels.map_name }} is {{ $value | humanizePercentage }} full, ` +
        `above ${pressure * 100}%. Raise the map's size (bpf.mapDynamicSizeRatio or the map's own setting) before it fills.`,
      meaning: `a BPF map's cilium_bpf_map_pressure above ${pressure}, for 10m`,
      threshold: `${pressure}`,
      thresholdSource: "the alert's definition: 90% of the map",
    });
  }
  return out;
}

/** nf_conntrack_max kube-proxy sets on a node with `cpus` CPUs. */
export function conntrackLimit(c: Pick<ConntrackModel, 'maxPerCore' | 'min'>, cpus: number): number {
  return Math.max(c.maxPerCore * cpus, c.min);
}
