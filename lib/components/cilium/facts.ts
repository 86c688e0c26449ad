/**
 * What the Cilium chart accepts, release by release, and the defaults netscale renders: the facts
 * the values, the rules, the constructs and the review share.
 */

export const CILIUM_DELIVERIES = ['argocd', 'k3s', 'values'] as const;
export type CiliumDelivery = (typeof CILIUM_DELIVERIES)[number];
export const CILIUM_ROUTING_MODES = ['native', 'tunnel'] as const;
export type CiliumValues = Record<string, unknown>;

export const CILIUM_HELM_REPO = 'https://helm.cilium.io/';
export const CILIUM_CHART = 'cilium';
export const CILIUM_NAMESPACE = 'kube-system';
/**
 * The agent DaemonSet, and how many agents it replaces at once: updateStrategy.rollingUpdate.maxUnavailable
 * in every chart's values.yaml, 1.13 to 1.20.
 */
export const CILIUM_AGENT_DAEMONSET = 'cilium';
export const CILIUM_AGENT_MAX_UNAVAILABLE = '2';

/**
 * What the cilium chart accepts, by minor release. Read from the chart's values.yaml and
 * templates/validate.yaml of 1.13.0, 1.14.5, 1.15.19, 1.16.19, 1.17.18, 1.18.12, 1.19.0 and 1.20.0,
 * and from the upstream pull requests named in each comment.
 */
export const CILIUM_FACTS = {
  /** Oldest chart netscale renders: the seed's release line. */
  oldest: { minor: 13, patch: 0 },
  /** Newest minor whose chart was read; newer ones are rendered like it and warned about. */
  newestChecked: 20,
  /** Cilium patches the newest three minors; 1.20.0 (Jul 2026) ended 1.17. */
  oldestMaintained: 18,
  /** routingMode and tunnelProtocol replace tunnel (cilium#24561, chart 1.14.5). */
  routingModeFrom: 14,
  /** tunnel removed (cilium#29053); 1.15.0-1.15.7 ignore it, validate.yaml rejects it from 1.15.8 (cilium#34213). */
  tunnelRemovedIn: 15,
  /** kubeProxyReplacement takes true|false; strict|partial|disabled stay as deprecated words (chart 1.14.5 values.yaml). */
  kprBooleanFrom: 14,
  /** The old words fail cilium-configmap.yaml (cilium#31286, in 1.16.0). */
  kprOldWordsRejectedFrom: 16,
  /** DSR with Geneve dispatch, native or Geneve tunnel (cilium#23890, cilium#25553). */
  geneveDispatchFrom: 14,
  /** Native routing with Geneve dispatch needs tunnelProtocol geneve (cilium#29051, cilium#30845). */
  geneveDispatchNeedsTunnelProtocolFrom: 15,
  /** loadBalancer.acceleration best-effort (cilium#28666); the key itself is read by every chart from 1.13. */
  accelerationBestEffortFrom: 15,
  /** k8sServiceHost "auto": cluster-info lookup (chart 1.16.19 values.yaml). */
  k8sServiceHostAutoFrom: 16,
  /** k8sServiceHostRef, mutually exclusive with k8sServiceHost in validate.yaml (chart 1.18.12). */
  k8sServiceHostRefFrom: 18,
  /** The in-pod CLI is cilium-dbg (cilium#28085). */
  cliDbgFrom: 15,
  /** cluster-pool IPAM defaults, the same in every chart read: 10.0.0.0/8 cut into /24 per node. */
  clusterPoolDefaults: { podCidrs: ['10.0.0.0/8'], maskSize: 24 },
} as const;

/** Keys a chart's validate.yaml fails on because they were removed, by the minor that removed them. */
export const REMOVED_VALUES: ReadonlyArray<{ readonly path: readonly string[]; readonly removedIn: number; readonly instead?: string }> = [
  { path: ['clustermesh', 'apiserver', 'tls', 'ca', 'cert'], removedIn: 15, instead: 'tls.ca.cert' },
  { path: ['clustermesh', 'apiserver', 'tls', 'ca', 'key'], removedIn: 15, instead: 'tls.ca.key' },
  { path: ['enableK8sEventHandover'], removedIn: 15 },
  { path: ['enableCnpStatusUpdates'], removedIn: 15 },
  { path: ['encryption', 'keyFile'], removedIn: 16, instead: 'encryption.ipsec.keyFile' },
  { path: ['encryption', 'mountPath'], removedIn: 16, instead: 'encryption.ipsec.mountPath' },
  { path: ['encryption', 'secretName'], removedIn: 16, instead: 'encryption.ipsec.secretName' },
  { path: ['encryption', 'interface'], removedIn: 16, instead: 'encryption.ipsec.interface' },
  { path: ['proxy', 'prometheus', 'enabled'], removedIn: 16, instead: 'envoy.prometheus' },
  { path: ['proxy', 'prometheus', 'port'], removedIn: 16, instead: 'envoy.prometheus' },
  { path: ['endpointStatus'], removedIn: 16 },
  { path: ['remoteNodeIdentity'], removedIn: 16 },
  { path: ['containerRuntime', 'integration'], removedIn: 16 },
  { path: ['etcd', 'managed'], removedIn: 16 },
  { path: ['enableCiliumEndpointSlice'], removedIn: 18, instead: 'ciliumEndpointSlice.enabled' },
  { path: ['ciliumEndpointSlice', 'sliceMode'], removedIn: 18 },
];

/**
 * Chart keys the typed fields render, so a values override cannot slip past the checks. `fixed`
 * marks a key netscale always renders the same way, with the reason a profile may not change it.
 */
export const TYPED_VALUES: ReadonlyArray<{
  readonly path: readonly string[];
  readonly field: string;
  readonly minorFrom?: number;
  readonly minorBefore?: number;
  readonly fixed?: string;
}> = [
  { path: ['k8sServiceHost'], field: 'k8sServiceHost' },
  { path: ['k8sServicePort'], field: 'k8sServicePort' },
  { path: ['tunnel'], field: 'routingMode and tunnelProtocol', minorBefore: 14 },
  { path: ['routingMode'], field: 'routingMode', minorFrom: 14 },
  { path: ['tunnelProtocol'], field: 'tunnelProtocol', minorFrom: 14 },
  { path: ['ipv4NativeRoutingCIDR'], field: 'ipv4NativeRoutingCidr' },
  { path: ['autoDirectNodeRoutes'], field: 'autoDirectNodeRoutes' },
  { path: ['loadBalancer', 'mode'], field: 'loadBalancer.mode' },
  { path: ['loadBalancer', 'acceleration'], field: 'loadBalancer.acceleration' },
  { path: ['loadBalancer', 'dsrDispatch'], field: 'loadBalancer.dsrDispatch' },
  { path: ['bpf', 'masquerade'], field: 'bpfMasquerade' },
  { path: ['hubble', 'relay', 'enabled'], field: 'hubble.relay' },
  { path: ['hubble', 'ui', 'enabled'], field: 'hubble.ui' },
  { path: ['operator', 'replicas'], field: 'operatorReplicas' },
  { path: ['rollOutCiliumPods'], field: 'rollOutCiliumPods', fixed: 'without it a values change never reaches the running agents' },
  { path: ['operator', 'rollOutPods'], field: 'operator.rollOutPods', fixed: 'without it a values change never reaches the running operator' },
];

export const OLD_KPR_WORDS = ['strict', 'partial', 'disabled', 'probe'];
/** The chart's operator replicas: one leader, one standby. */
export const DEFAULT_OPERATOR_REPLICAS = 2;
/** What the typed fields render where the profile is silent. */
export const CILIUM_DEFAULTS = { routingMode: 'tunnel', tunnelProtocol: 'vxlan', bpfMasquerade: false, hubbleRelay: false, hubbleUi: false } as const;

export interface CiliumVersion {
  readonly text: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/** An exact chart version, or undefined for anything else (ranges, "v" prefixes, pre-releases). */
export function parseCiliumVersion(text: string): CiliumVersion | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(text);
  return m ? { text, major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : undefined;
}

/** Whether `v` is at least 1.<minor>.<patch>; a later major counts as newer. */
export function atLeast(v: CiliumVersion, minor: number, patch = 0): boolean {
  if (v.major !== 1) return v.major > 1;
  return v.minor > minor || (v.minor === minor && v.patch >= patch);
}

export function supported(v: CiliumVersion): boolean {
  return atLeast(v, CILIUM_FACTS.oldest.minor, CILIUM_FACTS.oldest.patch);
}

/** The in-pod agent CLI of `version`. */
export function ciliumCli(version: string): 'cilium' | 'cilium-dbg' {
  const v = parseCiliumVersion(version);
  return v && atLeast(v, CILIUM_FACTS.cliDbgFrom) ? 'cilium-dbg' : 'cilium';
}

/** The chart's own defaults for settings netscale renders only when the profile gives them. */
export const CILIUM_CHART_DEFAULTS = { autoDirectNodeRoutes: false, loadBalancerMode: 'snat', acceleration: 'disabled', dsrDispatch: 'opt' } as const;

/** The Argo CD Application of a cluster's Cilium chart. */
export function ciliumApplicationName(cluster: string): string {
  return `${cluster}-cilium`;
}

/**
 * The Helm values file netscale writes for `helm install -f`, relative to the output folder: the
 * review names it, the output layer writes it.
 */
export function ciliumValuesPath(cluster: string): string {
  return `values/${cluster}.cilium-values.yaml`;
}

/**
 * Secrets the chart fills with fresh keys and certificates on every `helm template`, because
 * `lookup` finds nothing without a cluster (helm/helm#9426): the CA (`cilium-ca`, via
 * `cilium.ca.setup` in templates/_helpers.tpl) and the Hubble certificates of
 * templates/hubble/tls-helm/*.yaml, each behind the condition at the top of its template. Chart
 * 1.13 keeps Hubble's own CA apart (templates/hubble/tls-helm/ca-secret.yaml, hubble-ca-secret);
 * 1.16 added the metrics server certificate. Argo CD renders with `helm template`, so these are
 * the objects its Application must ignore. Clustermesh certificates (clustermesh.useAPIServer)
 * are not modelled.
 */
export function chartGeneratedSecrets(v: CiliumVersion, values: CiliumValues): string[] {
  const get = (path: string, fallback: unknown): unknown => {
    let node: unknown = values;
    for (const key of path.split('.')) {
      if (node === null || typeof node !== 'object' || Array.isArray(node) || !(key in node)) return fallback;
      node = (node as Record<string, unknown>)[key];
    }
    return node;
  };
  const on = (path: string, fallback: boolean) => Boolean(get(path, fallback));
  // Defaults of every chart read, 1.13 to 1.20: Hubble on, TLS on, certificates made by Helm.
  const helmTls =
    on('agent', true) &&
    on('hubble.enabled', true) &&
    on('hubble.tls.enabled', true) &&
    on('hubble.tls.auto.enabled', true) &&
    get('hubble.tls.auto.method', 'helm') === 'helm';
  if (!helmTls) return [];
  const relay = on('hubble.relay.enabled', false);
  const relayServer = relay && on('hubble.relay.tls.server.enabled', false);
  const out = ['cilium-ca', 'hubble-server-certs'];
  if (!atLeast(v, 14)) out.push('hubble-ca-secret');
  if (relay) out.push('hubble-relay-client-certs');
  if (relayServer) out.push('hubble-relay-server-certs');
  if (relayServer && on('hubble.ui.enabled', false)) out.push('hubble-ui-client-certs');
  if (atLeast(v, 16) && on('hubble.metrics.tls.enabled', false)) out.push('hubble-metrics-server-certs');
  return out.sort();
}
