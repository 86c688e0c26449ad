/** Upstream facts about Calico that the constructs, the rules and the review rely on. */

export type CalicoEncapsulationMode = 'Always' | 'CrossSubnet' | 'Never';

/** Calico's block size when a pool gives none. */
export const CALICO_DEFAULT_BLOCK_SIZE: Readonly<Record<4 | 6, number>> = { 4: 26, 6: 122 };
/** Block sizes Calico IPAM accepts (the IPPool CRD's validation). */
export const CALICO_BLOCK_SIZE_RANGE: Readonly<Record<4 | 6, readonly [number, number]>> = { 4: [20, 32], 6: [116, 128] };
export const CALICO_DEFAULT_AS_NUMBER = 64512;
export const MAX_AS_NUMBER = 4294967295;
export const DEFAULT_ROUTE_REFLECTOR_CLUSTER_ID = '244.0.0.1';
export const DEFAULT_UNDERLAY_MTU = 1500;
/** Non-reflector nodes peer with the reflectors. */
export const PEER_WITH_ROUTE_REFLECTORS = 'peer-with-route-reflectors';
/** The reflectors peer with each other. */
export const ROUTE_REFLECTOR_MESH = 'route-reflector-mesh';
export const CALICO_CONFIG_NAME = 'calico-config';
export const CALICO_NODE_DAEMONSET = 'calico-node';

/** What an IPPool gets where the profile is silent: Calico's own defaults, written out. */
export const CALICO_IP_POOL_DEFAULTS = { ipipMode: 'Never', vxlanMode: 'Never', natOutgoing: true, nodeSelector: 'all()', disabled: false } as const;
