/** Upstream facts about Terway that the construct, the rules and the review rely on. */

export const ENI_CONFIG_NAME = 'eni-config';
export const TERWAY_DAEMONSET = 'terway-eniip';
export const DEFAULT_CREDENTIAL_PATH = '/var/addon/token-config';
/** Terway's chart defaults for the IP pool watermarks. */
export const DEFAULT_MIN_POOL_SIZE = 0;
export const DEFAULT_MAX_POOL_SIZE = 5;
export const DEFAULT_VSWITCH_SELECTION_POLICY = 'ordered';
export const DEFAULT_IP_STACK = 'ipv4';
export const DEFAULT_TERWAY_CNI_CONF: Readonly<Record<string, unknown>> = { cniVersion: '0.3.0', name: 'terway', type: 'terway' };

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
