import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { CalicoNetwork, CalicoTyphaConfig } from './calico-network';
import { CiliumKubeProxyless } from './cilium-kube-proxyless';
import { DaemonSetRestart } from './daemonset-restart';
import { KubeProxyIpvsTuning } from './kube-proxy-ipvs-tuning';
import { ResolvedCluster } from './resolve';
import { applySyncWaves } from './sync-waves';
import { TerwayEniConfig } from './terway-eni-config';
import { TyphaRelay } from './typha-relay';

export interface ClusterChartProps {
  /** The resolved profile: every number already decided, see `resolveProfile`. */
  readonly cluster: ResolvedCluster;
}

/** One cluster's objects; synthesized into `dist/<cluster>/`, one object per file. */
export class ClusterChart extends Chart {
  public readonly cluster: ResolvedCluster;

  constructor(scope: Construct, props: ClusterChartProps) {
    super(scope, props.cluster.name, { disableResourceNameHashes: true });
    const c = props.cluster;
    this.cluster = c;
    if (c.typha) new TyphaRelay(this, 'TyphaRelay', c.typha);
    if (c.terway) new TerwayEniConfig(this, 'TerwayEniConfig', c.terway);
    if (c.calico) new CalicoNetwork(this, 'CalicoNetwork', c.calico);
    if (c.calicoTyphaService) new CalicoTyphaConfig(this, 'CalicoTyphaConfig', { serviceName: c.calicoTyphaService });
    if (c.kubeProxy) new KubeProxyIpvsTuning(this, 'KubeProxy', c.kubeProxy);
    // In the cluster's own folder only the k3s HelmChart; the Argo CD Application lives in dist/argocd/.
    if (c.cilium?.delivery === 'k3s') new CiliumKubeProxyless(this, 'Cilium', { version: c.cilium.version, values: c.cilium.values, delivery: 'k3s' });
    // Under Argo CD the rollout orders itself: waves, then a restart Job per DaemonSet.
    // Without it, the review lists the same order as kubectl commands.
    if (c.argocd) {
      for (const r of c.restarts) {
        new DaemonSetRestart(this, `Restart-${r.daemonSet}`, { daemonSet: r.daemonSet, namespace: r.namespace, configuration: r.configuration, image: c.argocd.kubectlImage, timeout: c.argocd.restartTimeout });
      }
      applySyncWaves(this);
    }
  }
}
