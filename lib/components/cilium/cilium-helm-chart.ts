import { Construct } from 'constructs';
import { HelmChart, HelmChartSpecFailurePolicy } from '../../../imports/helm.cattle.io';
import { setOwnership } from '../../core/rollout';
import { checkChartValues, checkChartVersion } from './construct-checks';
import { CILIUM_CHART, CILIUM_HELM_REPO, CILIUM_NAMESPACE, CiliumValues } from './facts';
import { ciliumValuesYaml } from './values';

const LABELS = { 'app.kubernetes.io/managed-by': 'netscale' };

export interface CiliumHelmChartProps {
  /** Exact chart version, e.g. `1.13.4`. */
  readonly version: string;
  /** Chart values, e.g. `ciliumValues(spec).values`; rendered into `valuesContent` with sorted keys. */
  readonly values: CiliumValues;
  /**
   * Name of the HelmChart, which k3s also uses as the Helm release name.
   * @default 'cilium'
   */
  readonly name?: string;
}

/**
 * Cilium installed by the k3s helm controller: a `helm.cattle.io/v1` HelmChart in kube-system with
 * `bootstrap: true`, so the install job runs on the host network before any CNI exists (seed 004).
 *
 * `failurePolicy: abort`: after a failed install or upgrade, klipper-helm's default (`reinstall`)
 * runs `helm uninstall` and installs again, and an uninstalled CNI takes every pod's network with
 * it; with `abort` the Job stops at "waiting for operator intervention" and changes nothing
 * (k3s-io/klipper-helm `entry`, helm_update; the policy reaches it as FAILURE_POLICY from
 * k3s-io/helm-controller pkg/controllers/chart/chart.go). The object is kept: deleting a HelmChart
 * makes helm-controller run `helm uninstall` (its on-helm-chart-remove handler), so no delivery
 * may prune or delete it.
 */
export class CiliumHelmChart extends Construct {
  public readonly helmChart: HelmChart;
  public readonly valuesContent: string;

  constructor(scope: Construct, id: string, props: CiliumHelmChartProps) {
    super(scope, id);
    checkChartVersion('CiliumHelmChart', props.version);
    checkChartValues('CiliumHelmChart', props.values);
    this.valuesContent = ciliumValuesYaml(props.values);
    this.helmChart = new HelmChart(this, 'Resource', {
      metadata: { name: props.name ?? CILIUM_CHART, namespace: CILIUM_NAMESPACE, labels: LABELS },
      spec: {
        chart: CILIUM_CHART,
        repo: CILIUM_HELM_REPO,
        version: props.version,
        targetNamespace: CILIUM_NAMESPACE,
        bootstrap: true,
        failurePolicy: HelmChartSpecFailurePolicy.ABORT,
        valuesContent: this.valuesContent,
      },
    });
    setOwnership(this.helmChart, 'kept');
  }
}
