/**
 * The upstream pages and source files netscale's rules come from, in one place: every decision,
 * warning and review step cites these by name, so a reader can open what a rule rests on. Source
 * files are pinned to the release that was read; documentation pages are the project's own.
 */

export interface Reference {
  /** What a reader sees, e.g. "Calico: Typha for more than 50 nodes". */
  readonly title: string;
  /** Where it is: a documentation page or a source file at a tag. */
  readonly url: string;
}

/** Where a rule comes from: one or more references, cited in order. */
export type Citation = readonly Reference[];

const CALICO = 'https://github.com/projectcalico/calico/blob';
const TERWAY = 'https://github.com/AliyunContainerService/terway/blob/v1.17.5';
const ACK = 'https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/user-guide';
const TIGERA = 'https://docs.tigera.io/calico/latest';
const ARGOCD = 'https://argo-cd.readthedocs.io/en/stable';
const KEPS = 'https://github.com/kubernetes/enhancements/tree/master/keps/sig-network';

export const REFERENCES = {
  // Calico and Typha
  calicoTyphaScaling: {
    title: 'Calico: install with Typha for more than 50 nodes',
    url: `${TIGERA}/getting-started/kubernetes/self-managed-onprem/onpremises`,
  },
  calicoTyphaOverview: { title: 'Calico: Typha overview', url: `${TIGERA}/reference/typha/overview` },
  calicoTyphaManifest: { title: 'Calico manifests/calico-typha.yaml (v3.30.7)', url: `${CALICO}/v3.30.7/manifests/calico-typha.yaml` },
  calicoManifest: { title: 'Calico manifests/calico.yaml (v3.30.7)', url: `${CALICO}/v3.30.7/manifests/calico.yaml` },
  felixConfigParams: { title: 'Felix config_params.go (v3.31.7)', url: `${CALICO}/v3.31.7/felix/config/config_params.go` },
  felixDataplane: {
    title: 'Felix int_dataplane.go, ConfigureDefaultMTUs (v3.31.7)',
    url: `${CALICO}/v3.31.7/felix/dataplane/linux/int_dataplane.go`,
  },
  felixsyncer: {
    title: 'Calico felixsyncer: the resource types Felix watches (v3.31.7)',
    url: `${CALICO}/v3.31.7/libcalico-go/lib/backend/syncersv1/felixsyncer/felixsyncerv1.go`,
  },
  typhaRebalance: { title: 'Typha rebalance.go: the per-replica connection limit (v3.31.7)', url: `${CALICO}/v3.31.7/typha/pkg/k8s/rebalance.go` },
  typha358Rebalance: { title: 'Typha rebalance.go (v3.5.8)', url: 'https://github.com/projectcalico/typha/blob/v3.5.8/pkg/k8s/rebalance.go' },
  typha358Config: { title: 'Typha config_params.go (v3.5.8)', url: 'https://github.com/projectcalico/typha/blob/v3.5.8/pkg/config/config_params.go' },
  typhaPrometheus: { title: 'Calico: Typha Prometheus metrics', url: `${TIGERA}/reference/typha/prometheus` },
  operatorTyphaScale: {
    title: 'Tigera operator autoscale.go, GetExpectedTyphaScale (v1.40.15)',
    url: 'https://github.com/tigera/operator/blob/v1.40.15/pkg/common/autoscale.go',
  },
  operatorTyphaRole: {
    title: 'Tigera operator typha.go, typhaRole (v1.40.15)',
    url: 'https://github.com/tigera/operator/blob/v1.40.15/pkg/render/typha.go',
  },
  operatorNode: { title: 'Tigera operator node.go (v1.40.15)', url: 'https://github.com/tigera/operator/blob/v1.40.15/pkg/render/node.go' },
  calicoMtu: { title: 'Calico: configure MTU', url: `${TIGERA}/networking/configuring/mtu` },
  calicoBgp: { title: 'Calico: configure BGP peering and route reflectors', url: `${TIGERA}/networking/configuring/bgp` },
  calicoIpPool: { title: 'Calico: IPPool reference', url: `${TIGERA}/reference/resources/ippool` },
  calicoMigratePools: { title: 'Calico: migrate from one IP pool to another', url: `${TIGERA}/networking/ipam/migrate-pools` },
  calicoChangeBlockSize: { title: 'Calico: change IP pool block size', url: `${TIGERA}/networking/ipam/change-block-size` },
  calicoNftables: { title: 'Calico: nftables data plane', url: `${TIGERA}/getting-started/kubernetes/nftables` },
  calicoFelixConfiguration: { title: 'Calico: FelixConfiguration reference', url: `${TIGERA}/reference/resources/felixconfig` },
  calicoUpgrade: { title: 'Calico: upgrade Calico on Kubernetes', url: `${TIGERA}/operations/upgrading/kubernetes-upgrade` },
  // Terway and ACK
  ackTyphaRelay: {
    title: 'ACK: NetworkPolicy for large Terway clusters (Typha relay)',
    url: `${ACK}/improve-the-performance-of-the-networkpolicy-feature-for-a-large-ack-cluster-in-terway-mode`,
  },
  terwayParameters: { title: 'ACK: Terway configuration parameters (eni-config)', url: `${ACK}/terway-configuration-parameters` },
  ackVswitchExpansion: { title: 'ACK: increase the pod vSwitches of a Terway cluster', url: `${ACK}/increase-pod-vswitches-in-a-terway-cluster` },
  vpcReservedAddresses: {
    title: 'Alibaba Cloud VPC CreateVSwitch: 4 reserved addresses per vSwitch',
    url: 'https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-createvswitch',
  },
  ackImagePull: {
    title: 'ACK: pull container images from outside the Chinese mainland',
    url: `${ACK}/cross-domain-accelerated-pulling-container-images`,
  },
  terwayPolicy: { title: 'Terway cmd/terway-cli/policy.go (v1.17.5)', url: `${TERWAY}/cmd/terway-cli/policy.go` },
  terwayPool: { title: 'Terway pkg/eni/manager.go: the IP pool (v1.17.5)', url: `${TERWAY}/pkg/eni/manager.go` },
  terwayDaemonConfig: { title: 'Terway daemon/config.go (v1.17.5)', url: `${TERWAY}/daemon/config.go` },
  terwayVswitch: { title: 'Terway pkg/vswitch/vswitch.go (v1.17.5)', url: `${TERWAY}/pkg/vswitch/vswitch.go` },
  terwayConfigValidate: { title: 'Terway types/daemon/config.go, Validate (v1.17.5)', url: `${TERWAY}/types/daemon/config.go` },
  terwayCli: { title: 'Terway cmd/terway-cli/cmd.go: terway-cli mapping (v1.17.5)', url: `${TERWAY}/cmd/terway-cli/cmd.go` },
  terwayDaemonSet: {
    title: 'Terway chart daemonset.yaml: maxUnavailable 10% (v1.17.5)',
    url: `${TERWAY}/charts/terway/templates/terwayd/daemonset.yaml`,
  },
  // Kubernetes
  virtualIps: { title: 'Kubernetes: virtual IPs and service proxies', url: 'https://kubernetes.io/docs/reference/networking/virtual-ips/' },
  nftablesMigration: {
    title: 'Kubernetes: migrating from iptables mode to nftables',
    url: 'https://kubernetes.io/docs/reference/networking/virtual-ips/#migrating-from-iptables-mode-to-nftables',
  },
  kubeProxyConfig: {
    title: 'Kubernetes: kube-proxy configuration (v1alpha1)',
    url: 'https://kubernetes.io/docs/reference/config-api/kube-proxy-config.v1alpha1/',
  },
  kubeProxyFlags: {
    title: 'Kubernetes: kube-proxy command line (conntrack defaults)',
    url: 'https://kubernetes.io/docs/reference/command-line-tools-reference/kube-proxy/',
  },
  conntrackSysctl: { title: 'Linux: nf_conntrack sysctls', url: 'https://www.kernel.org/doc/Documentation/networking/nf_conntrack-sysctl.txt' },
  kep3866: { title: 'KEP-3866: nftables kube-proxy backend', url: `${KEPS}/3866-nftables-proxy` },
  kep5495: { title: 'KEP-5495: deprecate IPVS mode in kube-proxy', url: `${KEPS}/5495-deprecate-ipvs-mode-in-kube-proxy` },
  daemonSetUpdate: { title: 'Kubernetes: rolling update of a DaemonSet', url: 'https://kubernetes.io/docs/tasks/manage-daemon/update-daemon-set/' },
  jobPodFailurePolicy: {
    title: 'Kubernetes: Job pod failure policy',
    url: 'https://kubernetes.io/docs/concepts/workloads/controllers/job/#pod-failure-policy',
  },
  kubectlSkew: { title: 'Kubernetes: version skew policy, kubectl', url: 'https://kubernetes.io/releases/version-skew-policy/#kubectl' },
  clusterProportionalAutoscaler: {
    title: 'cluster-proportional-autoscaler: ladder mode',
    url: 'https://github.com/kubernetes-sigs/cluster-proportional-autoscaler#ladder-mode',
  },
  // Cilium and k3s
  ciliumKubeProxyFree: { title: 'Cilium: Kubernetes without kube-proxy', url: 'https://docs.cilium.io/en/stable/network/kubernetes/kubeproxy-free/' },
  ciliumArgocd: { title: 'Cilium: troubleshooting Argo CD', url: 'https://docs.cilium.io/en/latest/configuration/argocd-issues/' },
  ciliumUpgrade: { title: 'Cilium: upgrade guide', url: 'https://docs.cilium.io/en/stable/operations/upgrade/' },
  ciliumReleases: { title: 'Cilium releases', url: 'https://github.com/cilium/cilium/releases' },
  ciliumK3s: { title: 'Cilium: installation on k3s', url: 'https://docs.cilium.io/en/stable/installation/k3s/' },
  ciliumIpam: { title: 'Cilium: cluster-scope IPAM', url: 'https://docs.cilium.io/en/stable/network/concepts/ipam/cluster-pool/' },
  // Argo CD
  argocdSyncWaves: { title: 'Argo CD: sync phases and waves', url: `${ARGOCD}/user-guide/sync-waves/` },
  argocdHooks: { title: 'Argo CD: resource hooks', url: `${ARGOCD}/user-guide/resource_hooks/` },
  argocdSyncOptions: { title: 'Argo CD: sync options', url: `${ARGOCD}/user-guide/sync-options/` },
  argocdProgressiveSyncs: { title: 'Argo CD: Progressive Syncs (RollingSync)', url: `${ARGOCD}/operator-manual/applicationset/Progressive-Syncs/` },
  argocdTerminateOp: { title: 'Argo CD: argocd app terminate-op', url: `${ARGOCD}/user-guide/commands/argocd_app_terminate-op/` },
  argocdAppDiff: { title: 'Argo CD: argocd app diff', url: `${ARGOCD}/user-guide/commands/argocd_app_diff/` },
} as const satisfies Record<string, Reference>;

/** A Cilium issue or pull request by number (GitHub redirects an issue link to its pull request). */
export function ciliumIssue(n: number): Reference {
  return { title: `cilium#${n}`, url: `https://github.com/cilium/cilium/issues/${n}` };
}

/** The values.yaml of one Cilium chart release, e.g. 1.16.19. */
export function ciliumChartValues(version: string): Reference {
  return {
    title: `Cilium chart values.yaml (${version})`,
    url: `https://github.com/cilium/cilium/blob/v${version}/install/kubernetes/cilium/values.yaml`,
  };
}

/** `[title](url); [title](url)`: a citation as Markdown links, for reviews. */
export function markdownCitation(citation: Citation | undefined): string {
  return (citation ?? []).map((r) => `[${r.title.replace(/([[\]])/g, '\\$1')}](${r.url})`).join('; ');
}

/** `title <url>; title <url>`: a citation for a terminal, where a URL is what a reader can open. */
export function plainCitation(citation: Citation | undefined): string {
  return (citation ?? []).map((r) => `${r.title} <${r.url}>`).join('; ');
}

/**
 * Labels that name a document a reader cannot open (the examples' problem statements, "seed 002",
 * "seeds 000/001"): no review, warning or README line may cite one.
 */
export const UNOPENABLE_LABEL = /\bseeds? \d{3}\b/i;
