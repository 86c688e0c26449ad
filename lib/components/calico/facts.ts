/** Upstream facts about Calico that the constructs, the rules and the review rely on. */

export type CalicoEncapsulationMode = 'Always' | 'CrossSubnet' | 'Never';

/** Calico's block size when a pool gives none. */
export const CALICO_DEFAULT_BLOCK_SIZE: Readonly<Record<4 | 6, number>> = { 4: 26, 6: 122 };
/** Block sizes Calico IPAM accepts (the IPPool CRD's validation). */
export const CALICO_BLOCK_SIZE_RANGE: Readonly<Record<4 | 6, readonly [number, number]>> = { 4: [20, 32], 6: [116, 128] };
export const CALICO_DEFAULT_AS_NUMBER = 64512;
export const MAX_AS_NUMBER = 4294967295;
export const DEFAULT_ROUTE_REFLECTOR_CLUSTER_ID = '244.0.0.1';
/** Non-reflector nodes peer with the reflectors. */
export const PEER_WITH_ROUTE_REFLECTORS = 'peer-with-route-reflectors';
/** The reflectors peer with each other. */
export const ROUTE_REFLECTOR_MESH = 'route-reflector-mesh';
export const CALICO_CONFIG_NAME = 'calico-config';
export const CALICO_NODE_DAEMONSET = 'calico-node';

/** What an IPPool gets where the profile is silent: Calico's own defaults, written out. */
export const CALICO_IP_POOL_DEFAULTS = { ipipMode: 'Never', vxlanMode: 'Never', natOutgoing: true, nodeSelector: 'all()', disabled: false } as const;

/** The ServiceAccount of calico-node in Calico's manifests; calico-typha.yaml runs Typha as it too. */
export const CALICO_NODE_SERVICE_ACCOUNT = 'calico-node';
/** The calico-node container of the DaemonSet, which runs Felix. */
export const CALICO_NODE_CONTAINER = 'calico-node';
/**
 * The Felix setting that points it at Typha. Felix reads it from its environment only: it is a
 * `local` parameter, and local parameters from the datastore are ignored
 * (projectcalico/calico felix/config/config_params.go, `TyphaK8sServiceName ... local`).
 */
export const FELIX_TYPHA_SERVICE_ENV = 'FELIX_TYPHAK8SSERVICENAME';
/**
 * calico-node's rolling update in Calico's manifests (manifests/calico.yaml and calico-typha.yaml,
 * updateStrategy.rollingUpdate.maxUnavailable): one node at a time.
 */
export const CALICO_NODE_MAX_UNAVAILABLE = '1';

/**
 * Calico advises Typha above 50 nodes with the Kubernetes datastore, and calls it essential above
 * 100 (charts/calico/templates/calico-typha.yaml, the comment on replicas; docs.tigera.io
 * getting-started/kubernetes/self-managed-onprem/onpremises, "more than 50 nodes").
 */
export const TYPHA_ADVISED_ABOVE_NODES = 50;
/**
 * The BGP full mesh "works great for ... 100 nodes or less"; beyond, route reflectors
 * (docs.tigera.io calico/networking/configuring/bgp).
 */
export const FULL_MESH_NODE_LIMIT = 100;

/** What each install method means for Felix and Typha, as the profile error and the review say it. */
export const CALICO_INSTALL_MEANING: Readonly<Record<'manifest' | 'manifest-typha' | 'operator', string>> = {
  manifest:
    "calico.yaml: calico-node has no FELIX_TYPHAK8SSERVICENAME, so netscale renders Typha (as calico-node's ServiceAccount) and adds that one " +
    'env entry to calico-node, applied server-side; calico-node rolls once',
  'manifest-typha':
    'calico-typha.yaml: Typha exists with 1 replica and calico-node reads typha_service_name from calico-config; netscale sizes Typha and ' +
    'sets calico-config',
  operator: 'Tigera operator: it runs and scales Typha itself (nodes / 200 + 2) in calico-system; netscale renders no Typha and no calico-config',
};

/** A Calico release, e.g. 3.30.5. */
export interface CalicoRelease {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly text: string;
}

/** "3.30.5" or "v3.30.5" -> the release; undefined for anything else. */
export function parseCalicoRelease(text: string): CalicoRelease | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text);
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), text: `${m[1]}.${m[2]}.${m[3]}` } : undefined;
}

/** Whether `release` is `at` or newer ("3.29.0"). */
export function releaseAtLeast(release: CalicoRelease, at: string): boolean {
  const a = parseCalicoRelease(at)!;
  return release.major !== a.major ? release.major > a.major : release.minor !== a.minor ? release.minor > a.minor : release.patch >= a.patch;
}

/** The newest Calico release series whose behaviour netscale has read in Calico's sources. */
export const NEWEST_KNOWN_CALICO_SERIES = '3.32';

/** FelixConfiguration nftablesMode values. */
export type FelixNftablesMode = 'Enabled' | 'Disabled' | 'Auto';

/**
 * What a Calico release's Felix can do with kube-proxy's nftables mode:
 * - 3.29.0 adds FelixConfiguration nftablesMode with Enabled and Disabled (felix/config/config_params.go
 *   `NFTablesMode oneof(Enabled,Disabled);Disabled`).
 * - 3.32.0 adds Auto, and makes it the default (`oneof(Enabled,Disabled,Auto);Auto`): each Felix
 *   looks for kube-proxy's nftables table on its own node (felix/nftables/utils.go
 *   KubeProxyNftablesEnabledFn), checks again every 15 s and restarts itself when kube-proxy's mode
 *   changes (felix/dataplane/linux/int_dataplane.go). The 3.30 and 3.31 CRDs accept Auto, but their
 *   Felix replaces it with Disabled: Auto before 3.32 silently keeps iptables.
 */
export const NFTABLES_MODE_SINCE = { switch: '3.29.0', auto: '3.32.0' } as const;

/** The nftablesMode a release supports for a kube-proxy in nftables mode, or undefined below 3.29. */
export function felixNftablesModeFor(release: CalicoRelease): 'Auto' | 'Enabled' | undefined {
  if (releaseAtLeast(release, NFTABLES_MODE_SINCE.auto)) return 'Auto';
  if (releaseAtLeast(release, NFTABLES_MODE_SINCE.switch)) return 'Enabled';
  return undefined;
}

/**
 * Calico's own Typha image of a release: docker.io/calico up to 3.30, quay.io/calico from 3.31
 * (manifests/calico-typha.yaml: docker.io/calico/typha:v3.30.7, quay.io/calico/typha:v3.31.0).
 */
export function calicoTyphaImage(release: CalicoRelease): string {
  return `${releaseAtLeast(release, '3.31.0') ? 'quay.io' : 'docker.io'}/calico/typha:v${release.text}`;
}

/** Whether netscale has read this release series in Calico's sources (3.32 and older). */
export function knownCalicoRelease(release: CalicoRelease): boolean {
  return !releaseAtLeast(release, `${NEWEST_KNOWN_CALICO_SERIES.split('.')[0]}.${Number(NEWEST_KNOWN_CALICO_SERIES.split('.')[1]) + 1}.0`);
}
