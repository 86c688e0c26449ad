import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-27';
import { setOwnership } from '../../core/rollout';
import { TYPHA_NAME } from '../typha/facts';
import { CALICO_CONFIG_NAME } from './facts';

export interface CalicoTyphaConfigProps {
  /**
   * Typha Service calico-node connects to (typha_service_name).
   * @default 'calico-typha'
   */
  readonly serviceName?: string;
  /**
   * Namespace of calico-config.
   * @default 'kube-system'
   */
  readonly namespace?: string;
}

/**
 * Points a self-managed (manifest-installed) Calico at Typha: a patch of `calico-config` owning
 * only `typha_service_name`, applied server-side so the install's other keys stay. calico-node
 * reads it at start (FELIX_TYPHAK8SSERVICENAME): restart the DaemonSet after Typha is ready.
 */
export class CalicoTyphaConfig extends Construct {
  public readonly configMap: k8s.KubeConfigMap;

  constructor(scope: Construct, id: string, props: CalicoTyphaConfigProps = {}) {
    super(scope, id);
    const serviceName = props.serviceName ?? TYPHA_NAME;
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(serviceName))
      throw new Error(`CalicoTyphaConfig serviceName must be a Service name (DNS label), got ${JSON.stringify(serviceName)}`);
    this.configMap = new k8s.KubeConfigMap(this, 'Resource', {
      metadata: { name: CALICO_CONFIG_NAME, namespace: props.namespace ?? 'kube-system' },
      data: { typha_service_name: serviceName },
    });
    setOwnership(this.configMap, 'shared');
  }
}
