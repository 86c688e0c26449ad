import { Construct } from 'constructs';
import { PodMonitor } from '../../../imports/monitoring.coreos.com';
import { TYPHA_METRICS_PORT_NAME, TYPHA_NAME } from '../typha/facts';
import { MONITORING_DEFAULTS } from './facts';

export interface TyphaPodMonitorProps {
  /**
   * Namespace of the PodMonitor: one the Prometheus operator reads monitors from.
   * @default 'kube-system'
   */
  readonly namespace?: string;
  /**
   * Namespace Typha runs in.
   * @default 'kube-system'
   */
  readonly typhaNamespace?: string;
  /**
   * Labels of the PodMonitor, so a Prometheus's podMonitorSelector picks it.
   * @default - only app.kubernetes.io/managed-by
   */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * A `monitoring.coreos.com/v1` PodMonitor scraping Typha's metrics port by name: a PodMonitor
 * reaches only ports the pod declares (prometheus-operator podmonitor_types.go), which TyphaRelay
 * does with `metricsPort`. The operator names the job `<namespace of the PodMonitor>/calico-typha`
 * (pkg/prometheus/promcfg.go, generatePodMonitorConfig).
 */
export class TyphaPodMonitor extends Construct {
  public readonly podMonitor: PodMonitor;

  constructor(scope: Construct, id: string, props: TyphaPodMonitorProps = {}) {
    super(scope, id);
    this.podMonitor = new PodMonitor(this, 'Resource', {
      metadata: {
        name: TYPHA_NAME,
        namespace: props.namespace ?? MONITORING_DEFAULTS.namespace,
        labels: { ...props.labels, 'app.kubernetes.io/managed-by': 'netscale' },
      },
      spec: {
        selector: { matchLabels: { 'k8s-app': TYPHA_NAME } },
        namespaceSelector: { matchNames: [props.typhaNamespace ?? 'kube-system'] },
        podMetricsEndpoints: [{ port: TYPHA_METRICS_PORT_NAME, path: '/metrics' }],
      },
    });
  }
}
