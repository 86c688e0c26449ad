/**
 * Monitoring as a component: the alerts of spec.monitoring, their thresholds taken from what the
 * other components resolved (kube-proxy's conntrack and sync settings, Typha's size and limit),
 * and the PodMonitor for the Typha netscale renders.
 */
import { ClusterContext } from '../../core/cluster';
import { goDurationSeconds } from '../../core/duration';
import { Finding, warning } from '../../core/findings';
import { defineComponent, EarlierResolved, ResolveRecord } from '../component';
import { kubeProxyConfiguration } from '../kube-proxy/configuration';
import { KUBE_PROXY_CONNTRACK_DEFAULTS } from '../kube-proxy/conntrack';
import { KUBE_PROXY_DEFAULTS } from '../kube-proxy/facts';
import type { ResolvedComponents } from '../registry';
import { FELIX_WATCHED_RESOURCE_TYPES, TYPHA_METRICS_PORT } from '../typha/facts';
import { apiServerWatches } from '../typha/sizing';
import { AlertModel, ConntrackModel, NetscaleAlert, netscaleAlerts } from './alert-rules';
import { CILIUM_AGENT_METRICS_PORT, MONITORING_DEFAULTS } from './facts';
import { NetscaleAlerts } from './netscale-alerts';
import type { MonitoringSpec } from './schema';
import { TyphaPodMonitor } from './typha-pod-monitor';
import { REFERENCES } from '../../core/references';

type ResolvedKubeProxy = NonNullable<ResolvedComponents['kubeProxy']>;

export interface ResolvedMonitoring {
  readonly cluster: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly alerts: readonly NetscaleAlert[];
  /** Where the review explains the alerts (their `review` annotation). */
  readonly review: string;
  /** Namespace of the Typha netscale renders with its metrics port, for the PodMonitor. */
  readonly typhaNamespace?: string;
  /** What Prometheus must scrape for these alerts, one Markdown line each, for the review. */
  readonly scrape: readonly string[];
}

export const monitoringComponent = defineComponent({
  key: 'monitoring',
  check(): Finding[] {
    // Every field is checked by the schema; what depends on other sections is found in resolve.
    return [];
  },
  resolve(section: MonitoringSpec | undefined, ctx: ClusterContext, r: ResolveRecord, earlier: EarlierResolved): ResolvedMonitoring | undefined {
    return section === undefined ? undefined : resolveMonitoring(section, ctx, r, earlier as ResolvedComponents);
  },
  render(scope, m: ResolvedMonitoring) {
    new NetscaleAlerts(scope, 'Alerts', { cluster: m.cluster, alerts: m.alerts, namespace: m.namespace, labels: m.labels, review: m.review });
    if (m.typhaNamespace !== undefined)
      new TyphaPodMonitor(scope, 'TyphaPodMonitor', { namespace: m.namespace, typhaNamespace: m.typhaNamespace, labels: m.labels });
  },
});

function resolveMonitoring(m: MonitoringSpec, ctx: ClusterContext, r: ResolveRecord, upstream: ResolvedComponents): ResolvedMonitoring {
  const kubeProxy = ctx.kubeProxyReplaced ? undefined : upstream.kubeProxy;
  const kubeProxyConfig = kubeProxy
    ? kubeProxyConfiguration(kubeProxy, { baseConfig: kubeProxy.baseConfig, kubeconfigPath: kubeProxy.kubeconfigPath })
    : undefined;
  const typha = upstream.typha;
  const model: AlertModel = {
    jobSelectors: m.jobSelectors,
    conntrackWarnRatio: m.conntrackWarnRatio ?? MONITORING_DEFAULTS.conntrackWarnRatio,
    apiServerWatchMargin: m.apiServerWatchMargin ?? MONITORING_DEFAULTS.apiServerWatchMargin,
    conntrack: kubeProxy && kubeProxyConfig ? conntrackModel(kubeProxy, kubeProxyConfig, ctx) : undefined,
    kubeProxy: ctx.kubeProxyReplaced ? undefined : syncPeriodModel(kubeProxy, kubeProxyConfig),
    typha:
      typha?.connectionLimit !== undefined
        ? {
            nodes: ctx.nodes,
            replicas: typha.replicas,
            connectionLimit: typha.connectionLimit,
            watchesWithRelay: apiServerWatches(ctx.nodes, typha.replicas).withRelay,
            felixResourceTypes: FELIX_WATCHED_RESOURCE_TYPES,
          }
        : undefined,
    terway: ctx.cni === 'terway',
    cilium: ctx.cni === 'cilium',
  };
  const alerts = netscaleAlerts(model);
  const namespace = m.namespace ?? MONITORING_DEFAULTS.namespace;
  const labels = m.labels ?? {};
  const typhaNamespace = typha?.metricsPort !== undefined ? (typha.namespace ?? 'kube-system') : undefined;

  if (kubeProxyConfig && isLoopback(String(kubeProxyConfig.metricsBindAddress ?? KUBE_PROXY_DEFAULTS.metricsBindAddress))) {
    r.findings.push(
      warning(
        ['spec', 'kubeProxy', 'metricsBindAddress'],
        `kube-proxy serves its ` +
          `metrics on ${String(kubeProxyConfig.metricsBindAddress ?? KUBE_PROXY_DEFAULTS.metricsBindAddress)}, the node's loopback, where ` +
          `Prometheus ` +
          `cannot scrape them: NetscaleKubeProxySyncSlow stays silent; set metricsBindAddress: 0.0.0.0:10249 and let only Prometheus reach the port`,
        [REFERENCES.kubeProxyConfig],
      ),
    );
  }
  const ciliumPrometheus = (upstream.cilium?.values as { prometheus?: { enabled?: unknown } } | undefined)?.prometheus?.enabled;
  if (model.cilium && ciliumPrometheus !== true) {
    r.findings.push(
      warning(
        ['spec', 'cilium'],
        `sets no prometheus.enabled: true in its values, so the Cilium agents serve no metrics and NetscaleCiliumBpfMapPressure stays ` +
          `silent: add prometheus: {enabled: true} to spec.cilium.values (port ${CILIUM_AGENT_METRICS_PORT})`,
        [{ title: 'Cilium: monitoring and metrics', url: 'https://docs.cilium.io/en/stable/observability/metrics/' }],
      ),
    );
  }

  const kinds =
    typhaNamespace !== undefined
      ? 'prometheusrules.monitoring.coreos.com podmonitors.monitoring.coreos.com'
      : 'prometheusrules.monitoring.coreos.com';
  const selectedBy =
    Object.keys(labels).length > 0
      ? `labels ${Object.entries(labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}`
      : 'no labels of its own (kube-prometheus-stack selects only release: <its Helm release>: set spec.monitoring.labels)';
  r.steps.push(
    `Before the sync, check that the Prometheus operator's CRDs are installed (\`kubectl get crd ${kinds}\`) and that your Prometheus reads ` +
      `rules${typhaNamespace !== undefined ? ' and PodMonitors' : ''} in namespace ${namespace} with ${selectedBy}: without the CRDs the sync ` +
      `fails, without the selection the alerts never load.`,
  );
  r.verify.push(
    {
      component: 'Alerts',
      check: `\`kubectl -n ${namespace} get prometheusrule ${MONITORING_DEFAULTS.ruleName}\` and, in Prometheus, Status > Rule health`,
      healthy: `the rule exists and its ${alerts.length} alerts are loaded, each OK; Alerts shows none firing for cluster ${ctx.name}`,
    },
    ...(typhaNamespace !== undefined
      ? [
          {
            component: 'Alerts',
            check: 'in Prometheus, Status > Targets',
            healthy: `one target per Typha replica under the job ${namespace}/calico-typha, each UP`,
          },
        ]
      : []),
  );
  r.rollback.push({
    component: 'Alerts',
    revert:
      `The PrometheusRule${typhaNamespace !== undefined ? ' and the PodMonitor are' : ' is'} netscale's own: Argo CD ` +
      `prunes ${typhaNamespace !== undefined ? 'them' : 'it'} on a revert (without Argo CD, \`kubectl delete -f\` the files before the revert ` +
      `removes them), and Typha's metrics port goes with the next Typha rollout.`,
  });
  return {
    cluster: ctx.name,
    namespace,
    labels,
    alerts,
    review: `dist/reviews/${ctx.name}.md#alerts`,
    typhaNamespace,
    scrape: scrapeNeeds(model, ctx),
  };
}

/** nf_conntrack_max as kube-proxy will set it from the configuration netscale renders; none when it leaves it alone. */
function conntrackModel(k: ResolvedKubeProxy, config: Record<string, unknown>, ctx: ClusterContext): ConntrackModel | undefined {
  const conntrack = (config.conntrack ?? {}) as { maxPerCore?: number; min?: number };
  const maxPerCore = conntrack.maxPerCore ?? KUBE_PROXY_CONNTRACK_DEFAULTS.maxPerCore;
  const min = conntrack.min ?? KUBE_PROXY_CONNTRACK_DEFAULTS.min;
  // maxPerCore 0: kube-proxy leaves nf_conntrack_max as it is, so there is no limit to hold it to.
  if (maxPerCore <= 0) return undefined;
  const from =
    k.conntrackMaxPerCore !== undefined || k.conntrackMin !== undefined
      ? 'spec.kubeProxy'
      : k.baseConfig !== undefined
        ? 'spec.kubeProxy.baseConfig'
        : "kube-proxy's defaults";
  return { maxPerCore, min, cpuPerNode: ctx.cpuPerNode, source: `${from} (conntrack.maxPerCore ${maxPerCore}, conntrack.min ${min})` };
}

/** The sync period kube-proxy runs with: the rendered one, or kube-proxy's default where netscale does not tune it. */
function syncPeriodModel(k: ResolvedKubeProxy | undefined, config: Record<string, unknown> | undefined): AlertModel['kubeProxy'] {
  if (!k || !config) {
    const period = KUBE_PROXY_DEFAULTS.syncPeriod;
    return {
      syncPeriod: period,
      syncPeriodSeconds: goDurationSeconds(period),
      source: "kube-proxy's default syncPeriod: the profile does not tune kube-proxy",
    };
  }
  const mode = String(config.mode ?? KUBE_PROXY_DEFAULTS.mode);
  const period = String(((config[mode] ?? {}) as { syncPeriod?: unknown }).syncPeriod ?? KUBE_PROXY_DEFAULTS.syncPeriod);
  const from =
    k.syncPeriod !== undefined
      ? 'spec.kubeProxy.syncPeriod'
      : k.baseConfig !== undefined
        ? `spec.kubeProxy.baseConfig (${mode}.syncPeriod)`
        : "kube-proxy's default syncPeriod";
  return { syncPeriod: period, syncPeriodSeconds: goDurationSeconds(period), source: from };
}

function isLoopback(hostPort: string): boolean {
  const host = hostPort.replace(/:[0-9]+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** What Prometheus must scrape for the alerts this cluster has. */
function scrapeNeeds(model: AlertModel, ctx: ClusterContext): string[] {
  const out = [
    'node_exporter on every node (its conntrack and CPU collectors are on by default): `node_nf_conntrack_entries`, ' +
      '`node_nf_conntrack_entries_limit`, `node_cpu_seconds_total`.',
  ];
  if (model.kubeProxy)
    out.push(
      "kube-proxy's metrics endpoint on every node (port 10249, which it serves on 127.0.0.1 unless metricsBindAddress says otherwise): " +
        '`kubeproxy_sync_proxy_rules_duration_seconds`.',
    );
  if (model.typha) {
    out.push(
      `Typha: the PodMonitor netscale renders scrapes ` +
        `port ${TYPHA_METRICS_PORT} of each Typha pod (a port of its node: Typha runs on the host network; open it to Prometheus): ` +
        `\`typha_connections_active\`.`,
    );
    const managed =
      ctx.platform === 'ack'
        ? " ACK runs the control plane: its metrics come from ACK's managed control-plane monitoring, not from a Prometheus in the cluster."
        : '';
    out.push(`The API servers' /metrics: \`apiserver_longrunning_requests\`.${managed}`);
  }
  if (model.terway) {
    out.push('kube-state-metrics: `kube_node_status_condition` (the Node condition SufficientIP Terway sets).');
    out.push(
      'terwayd: `terway_resource_pool_idle_count`. terwayd serves its metrics only on the unix socket /var/run/eni/eni_debug.socket: run a ' +
        "proxy to a TCP port on each node (Terway's own monitoring/terway-metric-proxy.yml does it with socat) and relabel the pod's node name " +
        '(`__meta_kubernetes_pod_node_name`) into the label `node`, which the alert joins on. Centralized IPAM (ipam_type crd) does not export the ' +
        'pool gauge; the alert then rests on the Node condition alone.',
    );
  }
  if (model.cilium)
    out.push(
      `The Cilium agents, with prometheus.enabled: true in the chart values (port ${CILIUM_AGENT_METRICS_PORT}): \`cilium_bpf_map_pressure\`.`,
    );
  return out;
}
