/** Upstream facts about Terway that the construct, the rules and the review rely on. */

export const ENI_CONFIG_NAME = 'eni-config';
export const TERWAY_DAEMONSET = 'terway-eniip';
export const DEFAULT_CREDENTIAL_PATH = '/var/addon/token-config';
/** Terway's chart defaults for the IP pool watermarks. */
export const DEFAULT_MIN_POOL_SIZE = 0;
export const DEFAULT_MAX_POOL_SIZE = 5;
export const DEFAULT_VSWITCH_SELECTION_POLICY = 'ordered';
export const DEFAULT_IP_STACK = 'ipv4';
/** The eni-config key holding the CNI configuration, where `eniip_virtual_type` lives. */
export const TERWAY_CNI_CONF_KEY = '10-terway.conf';

/**
 * Terway's datapaths, `eniip_virtual_type` in 10-terway.conf (not in eni_conf). terway-cli lowers
 * the value and treats a missing one as veth (AliyunContainerService/terway cmd/terway-cli/cni.go:
 * dataPathVeth "veth", dataPathIPvlan "ipvlan", dataPathV2 "datapathv2").
 */
export const TERWAY_DATAPATHS = ['veth', 'ipvlan', 'datapathv2'] as const;
export type TerwayDatapath = (typeof TERWAY_DATAPATHS)[number];
export const DEFAULT_TERWAY_DATAPATH: TerwayDatapath = 'veth';

/**
 * Whether Felix enforces NetworkPolicy on a node (terway cmd/terway-cli/policy.go, initPolicy): it
 * does on veth with the iptables provider (the default); Cilium does on ipvlan and datapathv2, and
 * on veth with `network_policy_provider: ebpf` Cilium or nothing does. Only Felix reads
 * felix_relay_service, so the relay does nothing where Felix does not run.
 */
export function felixEnforcesPolicy(datapath: TerwayDatapath, networkPolicyProvider: string | undefined): boolean {
  return datapath === 'veth' && (networkPolicyProvider ?? 'iptables').toLowerCase() !== 'ebpf';
}

/** terway-cli's reading of eniip_virtual_type: case-insensitive, missing or empty means veth. */
export function terwayDatapathOf(value: unknown): TerwayDatapath | undefined {
  if (value === undefined || value === '') return 'veth';
  if (typeof value !== 'string') return undefined;
  const lower = value.toLowerCase();
  return (TERWAY_DATAPATHS as readonly string[]).includes(lower) ? (lower as TerwayDatapath) : undefined;
}

/**
 * terway-eniip's rolling update (charts/terway/templates/terwayd/daemonset.yaml,
 * updateStrategy.rollingUpdate.maxUnavailable): a tenth of the nodes at a time.
 */
export const TERWAY_MAX_UNAVAILABLE = '10%';

/** eni_conf keys the typed terway fields render; the pass-through must not set them twice. */
export const TYPED_ENI_CONF_KEYS: Readonly<Record<string, string>> = {
  version: 'netscale renders it',
  vswitches: 'terway.vswitches',
  security_group: 'terway.securityGroups',
  security_groups: 'terway.securityGroups',
  service_cidr: 'terway.serviceCidr',
  min_pool_size: 'terway.pool.min',
  max_pool_size: 'terway.pool.max',
  vswitch_selection_policy: 'terway.vswitchSelectionPolicy',
  eni_tags: 'terway.eniTags',
  credential_path: 'terway.credentialPath',
  ip_stack: 'terway.ipStack',
};

/** Terway's daemon rejects more security groups than this in the releases checked. */
export const TERWAY_DAEMON_SECURITY_GROUP_LIMIT = 5;

/** The seeds' threshold for a "large" Terway cluster. */
export const LARGE_TERWAY_CLUSTER_NODES = 100;

/** Headroom below which a zone's pod IPs get a warning (seed 003's advice to expand early). */
export const IP_HEADROOM_WARNING = 0.2;
