import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { setOwnership } from '../../core/rollout';
import { TYPHA_NAME } from '../typha/facts';
import { CALICO_NODE_CONTAINER, CALICO_NODE_DAEMONSET, FELIX_TYPHA_SERVICE_ENV } from './facts';

export interface CalicoNodeTyphaEnvProps {
  /**
   * The Typha Service Felix connects to.
   * @default 'calico-typha'
   */
  readonly serviceName?: string;
  /**
   * Namespace of the calico-node DaemonSet.
   * @default 'kube-system'
   */
  readonly namespace?: string;
}

/**
 * Points Felix at Typha on a cluster installed from Calico's `calico.yaml`, whose calico-node has no
 * FELIX_TYPHAK8SSERVICENAME (only calico-typha.yaml wires it, from calico-config). Felix reads that
 * setting from its environment only, so calico-config alone does nothing there.
 *
 * The object is a partial calico-node DaemonSet holding that one env entry: applied server-side it
 * merges into the existing DaemonSet (containers and env are lists keyed by name), owns only that
 * entry, and changes the pod template, so calico-node rolls once at its own maxUnavailable.
 * Kubernetes server-side apply: https://kubernetes.io/docs/reference/using-api/server-side-apply/;
 * Argo CD applies partial objects with ServerSideApply=true and Validate=false
 * (argo-cd docs/user-guide/sync-options.md, "patch existing resources by providing a partial yaml").
 * It must never be applied as a whole object, and never deleted: that would delete calico-node.
 */
export class CalicoNodeTyphaEnv extends Construct {
  public readonly daemonSet: ApiObject;

  constructor(scope: Construct, id: string, props: CalicoNodeTyphaEnvProps = {}) {
    super(scope, id);
    const serviceName = props.serviceName ?? TYPHA_NAME;
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(serviceName))
      throw new Error(`CalicoNodeTyphaEnv serviceName must be a Service name (DNS label), got ${JSON.stringify(serviceName)}`);
    this.daemonSet = new ApiObject(this, 'Resource', {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: CALICO_NODE_DAEMONSET, namespace: props.namespace ?? 'kube-system' },
      spec: { template: { spec: { containers: [{ name: CALICO_NODE_CONTAINER, env: [{ name: FELIX_TYPHA_SERVICE_ENV, value: serviceName }] }] } } },
    });
    setOwnership(this.daemonSet, 'patch');
  }
}
