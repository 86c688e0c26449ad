/**
 * netscale's constructs and the pure functions that size them, for use in any cdk8s app. The
 * profile pipeline (`npm run synth`) is built from the same pieces.
 */
export { TyphaRelay, typhaRelayProblems } from './components/typha/typha-relay';
export type { TyphaRelayProps, TyphaTlsProps } from './components/typha/typha-relay';
export { BgpPeerCrd } from './components/typha/bgp-peer-crd';
export { apiServerWatches, ladderReplicas, operatorTyphaReplicas, typhaHeadroom, typhaLadder, typhaReplicas } from './components/typha/sizing';
export { typhaClusterRoleRules, typhaConnectionLimits } from './components/typha/releases';
export type { TyphaLadderStep, TyphaSizing, TyphaSizingInput } from './components/typha/sizing';
export { ackTyphaImage, TYPHA_AUTOSCALER_IMAGE, TYPHA_DEFAULTS, TYPHA_NAME, UPSTREAM_TYPHA_IMAGE } from './components/typha/facts';
export { TyphaAutoscaler, typhaAutoscalerProblems } from './components/typha/typha-autoscaler';
export type { TyphaAutoscalerProps } from './components/typha/typha-autoscaler';

export { TerwayEniConfig, eniConfigData, renderEniConf } from './components/terway/terway-eni-config';
export type { EniConfProps, TerwayEniConfigMode, TerwayEniConfigProps } from './components/terway/terway-eni-config';
export { zoneCapacity, spreadNodes, vswitchUsableAddresses } from './components/terway/capacity';

export { KubeProxyIpvsTuning, kubeProxyTuningProblems } from './components/kube-proxy/kube-proxy-ipvs-tuning';
export type { KubeProxyIpvsTuningProps } from './components/kube-proxy/kube-proxy-ipvs-tuning';
export { kubeProxyConfiguration, k3sKubeProxyArgs } from './components/kube-proxy/configuration';
export type { KubeProxyConfigurationOptions, KubeProxyTuning } from './components/kube-proxy/configuration';
export { conntrackSizing } from './components/kube-proxy/conntrack';
export type { ConntrackSizing, ConntrackSizingInput } from './components/kube-proxy/conntrack';

export { CalicoNetwork } from './components/calico/calico-network';
export type { CalicoBgpProps, CalicoIpPoolProps, CalicoNetworkProps, CalicoRouteReflectorProps } from './components/calico/calico-network';
export { CalicoTyphaConfig } from './components/calico/calico-typha-config';
export type { CalicoTyphaConfigProps } from './components/calico/calico-typha-config';
export { CalicoNodeTyphaEnv } from './components/calico/calico-node-typha-env';
export type { CalicoNodeTyphaEnvProps } from './components/calico/calico-node-typha-env';
export { calicoTunnelMtus, tunnelMtu } from './components/calico/mtu';

export { CiliumKubeProxyless } from './components/cilium/cilium-kube-proxyless';
export type { CiliumKubeProxylessProps } from './components/cilium/cilium-kube-proxyless';
export { CiliumHelmChart } from './components/cilium/cilium-helm-chart';
export type { CiliumHelmChartProps } from './components/cilium/cilium-helm-chart';
export { CiliumApplication } from './components/cilium/cilium-application';
export type { CiliumApplicationProps } from './components/cilium/cilium-application';
export { ciliumValues, ciliumValuesYaml } from './components/cilium/values';

export { NetscaleAlerts, alertRuleGroups, netscaleAlertsProblems } from './components/monitoring/netscale-alerts';
export type { NetscaleAlertsProps, RuleGroups } from './components/monitoring/netscale-alerts';
export { netscaleAlerts } from './components/monitoring/alert-rules';
export type { AlertModel, NetscaleAlert } from './components/monitoring/alert-rules';
export { TyphaPodMonitor } from './components/monitoring/typha-pod-monitor';
export type { TyphaPodMonitorProps } from './components/monitoring/typha-pod-monitor';
export { ALERT_NAMES } from './components/monitoring/facts';

export { DaemonSetRestart } from './delivery/argocd/daemonset-restart';
export type { DaemonSetRestartProps } from './delivery/argocd/daemonset-restart';
export { DirectoryApplication } from './delivery/argocd/directory-application';
export type { DirectoryApplicationProps } from './delivery/argocd/directory-application';
export { StagedApplicationSet } from './delivery/argocd/staged-application-set';
export type { ApplicationTemplate, RolloutStep, StagedApplicationSetProps } from './delivery/argocd/staged-application-set';

export type { Decision } from './core/decision';
