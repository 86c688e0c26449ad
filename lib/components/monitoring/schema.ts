/** The `spec.monitoring` section of a ClusterProfile: alerts from the capacity model, off unless present. */
import { z } from 'zod';
import { dnsLabel, doc } from '../../core/zod-fields';
import { METRIC_SOURCES, MetricSource, MONITORING_DEFAULTS } from './facts';
import { labelMatchersProblem } from './selectors';

/** A Kubernetes label key: an optional DNS-subdomain prefix and a name of at most 63 characters. */
const labelKey = z
  .string()
  .regex(
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
    'must be a Kubernetes label key such as release or example.com/team',
  );
const labelValue = z
  .string()
  .regex(
    /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/,
    'must be a Kubernetes label value: at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
  );

const matchers = z.string().superRefine((text, ctx) => {
  const problem = labelMatchersProblem(text);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const SOURCE_DOCS: Readonly<Record<MetricSource, string>> = {
  nodeExporter: 'node_exporter (conntrack and CPU series), e.g. job="node-exporter".',
  kubeProxy: 'kube-proxy\'s metrics endpoint, e.g. job="kube-proxy".',
  typha: 'Typha\'s metrics (the PodMonitor netscale renders makes job="<namespace>/calico-typha").',
  apiServer: 'the API servers, e.g. job="apiserver".',
  kubeStateMetrics: 'kube-state-metrics (Node conditions, for Terway), e.g. job="kube-state-metrics".',
  terway: "terwayd's metrics behind the proxy you run for its unix socket.",
  cilium: 'the Cilium agents (port 9962), e.g. job="cilium-agent".',
};

export const monitoringSchema = z
  .strictObject({
    conntrackWarnRatio: doc(
      z.number().gt(0, 'must be above 0 and below 1, e.g. 0.75').lt(1, 'must be above 0 and below 1, e.g. 0.75'),
      "NetscaleConntrackTableFilling fires when a node's conntrack table is fuller than this share of nf_conntrack_max.",
      MONITORING_DEFAULTS.conntrackWarnRatio,
    ).optional(),
    apiServerWatchMargin: doc(
      z
        .number()
        .min(1, 'must be at least 1 (1: no margin), e.g. 2')
        .max(100, 'must be at most 100: a larger margin would hide Felix agents that bypass Typha'),
      "NetscaleApiServerWatchesHigh fires when watches on Calico's resources exceed the model's prediction with the relay times this factor.",
      MONITORING_DEFAULTS.apiServerWatchMargin,
    ).optional(),
    namespace: doc(
      dnsLabel,
      'Namespace of the PrometheusRule and the PodMonitor: one your Prometheus operator watches.',
      MONITORING_DEFAULTS.namespace,
    ).optional(),
    labels: doc(
      z.record(labelKey, labelValue),
      'Labels on the PrometheusRule and the PodMonitor, so your Prometheus selects them (kube-prometheus-stack: release: <its Helm release>).',
    ).optional(),
    jobSelectors: doc(
      z.strictObject(
        Object.fromEntries(METRIC_SOURCES.map((s) => [s, doc(matchers, `PromQL label matchers for ${SOURCE_DOCS[s]}`).optional()])) as Record<
          MetricSource,
          z.ZodOptional<typeof matchers>
        >,
      ),
      'Label matchers per metric source, added to every selector of that source; absent: any job that serves the metric.',
    ).optional(),
  })
  .meta({ description: "Alerts from the capacity model as a PrometheusRule, and a PodMonitor for Typha's metrics. Off unless present." });

export type MonitoringSpec = z.infer<typeof monitoringSchema>;
