/**
 * What every component knows about the cluster it renders for: the profile's cluster-wide fields,
 * as plain data. The profile layer builds it; components never read the profile itself.
 */

export const PLATFORMS = ['ack', 'kubeadm', 'k3s'] as const;
export const CNIS = ['terway', 'calico', 'cilium'] as const;
export const NETWORK_POLICY_MODES = ['relay', 'direct', 'disabled'] as const;

export type Platform = (typeof PLATFORMS)[number];
export type Cni = (typeof CNIS)[number];
export type NetworkPolicyMode = (typeof NETWORK_POLICY_MODES)[number];
/**
 * How Calico was installed, which decides how Felix finds Typha: calico.yaml (manifest),
 * calico-typha.yaml (manifest-typha) or the Tigera operator (operator).
 */
export const CALICO_INSTALLS = ['manifest', 'manifest-typha', 'operator'] as const;
export type CalicoInstall = (typeof CALICO_INSTALLS)[number];
/** kube-proxy's proxy modes netscale renders. */
export type KubeProxyModeName = 'ipvs' | 'nftables';

export const PLATFORM_NAMES: Readonly<Record<Platform, string>> = { ack: 'ACK', kubeadm: 'kubeadm', k3s: 'k3s' };

export interface ClusterContext {
  readonly name: string;
  readonly platform: Platform;
  readonly cni: Cni;
  /** "1.27" or "1.27.3". */
  readonly kubernetesVersion: string;
  readonly nodes: number;
  readonly cpuPerNode?: number;
  readonly maxPodsPerNode?: number;
  /** Alibaba Cloud region (ACK). */
  readonly region?: string;
  /** After its default (direct). */
  readonly networkPolicy: NetworkPolicyMode;
  /** Whether networkPolicy was written in the profile. */
  readonly networkPolicyGiven: boolean;
  readonly serviceCidr?: string;
  /** The pod network, where the profile gives it (kube-proxy's clusterCIDR). */
  readonly clusterCidr?: string;
  /** The nodes' own network (spec.nodeCidr), where the profile gives it. */
  readonly nodeCidr?: string;
  /** Argo CD delivers this cluster's folder (spec.argocd is set). */
  readonly argocd: boolean;
  /** Alerts are rendered (spec.monitoring is set): agents netscale renders serve their metrics. Absent: no. */
  readonly monitoring?: boolean;
  /**
   * The Argo CD that delivers this cluster runs inside it (spec.argocd without a destination, or
   * the in-cluster server or name): it needs the cluster's network to sync anything.
   */
  readonly argocdInCluster: boolean;
  /** Namespace of the Argo CD Applications, when Argo CD delivers the cluster. */
  readonly argocdNamespace?: string;
  /** A component of this profile replaces kube-proxy (Cilium's kube-proxy replacement). */
  readonly kubeProxyReplaced: boolean;
  /** How Calico was installed (spec.calico.install), where the profile says. */
  readonly calicoInstall?: CalicoInstall;
  /** The installed Calico release (spec.calico.version), e.g. "3.30.5". */
  readonly calicoVersion?: string;
  /** kube-proxy's mode where the profile tunes kube-proxy (after its default). */
  readonly kubeProxyMode?: KubeProxyModeName;
  /** The oldest Linux kernel on the nodes (spec.nodeKernel), e.g. "5.15.0-105-generic". */
  readonly nodeKernel?: string;
  /** What the last synth left in dist/ for this cluster, where it is known. */
  readonly previous?: PreviousRender;
}

/**
 * What the last synth wrote into dist/ for a cluster (the state in git, which Argo CD applied),
 * for the rules that refuse changes a component cannot make in place.
 */
export interface PreviousRender {
  /** The IPPools of the cluster's folder. */
  readonly ipPools: ReadonlyArray<{ readonly name: string; readonly cidr: string; readonly blockSize?: number }>;
}

/** "1.27" or "1.27.3" -> 27; NaN for anything else (the schema refuses it first). */
export function kubernetesMinor(version: string): number {
  const m = /^1\.(\d+)/.exec(version);
  return m ? Number(m[1]) : NaN;
}

/** "5.15.0-105-generic" -> [5, 15]; undefined for anything else (the schema refuses it first). */
export function kernelMajorMinor(version: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(version);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** Kubernetes API integers are int32 where the fields below say so, and the kernel's conntrack limit too. */
export const INT32_MAX = 2147483647;
