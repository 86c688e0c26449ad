import { Construct } from 'constructs';
import { CiliumApplication, CiliumApplicationProps } from './cilium-application';
import { CiliumHelmChart } from './cilium-helm-chart';
import { checkChartValues, checkChartVersion } from './construct-checks';
import { CiliumDelivery, CiliumValues } from './facts';
import { ciliumValuesYaml } from './values';

export interface CiliumKubeProxylessProps {
  /** Exact chart version, e.g. `1.13.4`. */
  readonly version: string;
  /** Chart values from `ciliumValues(spec).values`. */
  readonly values: CiliumValues;
  /**
   * How the chart is installed: `k3s` renders a HelmChart, `argocd` an Application, `values` no
   * object at all (write `valuesYaml` to a file for `helm install -f`).
   */
  readonly delivery: CiliumDelivery;
  /**
   * Application settings for `argocd` delivery.
   * @default - the CiliumApplication defaults
   */
  readonly application?: Omit<CiliumApplicationProps, 'version' | 'values'>;
}

/**
 * Cilium as a full kube-proxy replacement (seed 004), delivered the way the cluster installs its
 * CNI. Use `ciliumValues` (values.ts) and `checkCilium` (rules.ts) to make and check the values.
 */
export class CiliumKubeProxyless extends Construct {
  public readonly delivery: CiliumDelivery;
  /** The values as a YAML file, for `helm install -f` whatever the delivery. */
  public readonly valuesYaml: string;
  public readonly helmChart?: CiliumHelmChart;
  public readonly application?: CiliumApplication;

  constructor(scope: Construct, id: string, props: CiliumKubeProxylessProps) {
    super(scope, id);
    checkChartVersion('CiliumKubeProxyless', props.version);
    checkChartValues('CiliumKubeProxyless', props.values);
    if (props.application !== undefined && props.delivery !== 'argocd') {
      throw new Error(`CiliumKubeProxyless application settings apply to delivery argocd only (delivery is ${props.delivery})`);
    }
    this.delivery = props.delivery;
    this.valuesYaml = ciliumValuesYaml(props.values);
    if (props.delivery === 'k3s') this.helmChart = new CiliumHelmChart(this, 'HelmChart', { version: props.version, values: props.values });
    if (props.delivery === 'argocd')
      this.application = new CiliumApplication(this, 'Application', { ...props.application, version: props.version, values: props.values });
  }
}
