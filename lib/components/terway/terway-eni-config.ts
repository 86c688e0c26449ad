import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-27';
import { sortKeys } from '../../core/objects';
import { setOwnership } from '../../core/rollout';
import {
  DEFAULT_CREDENTIAL_PATH,
  DEFAULT_IP_STACK,
  DEFAULT_MAX_POOL_SIZE,
  DEFAULT_MIN_POOL_SIZE,
  DEFAULT_VSWITCH_SELECTION_POLICY,
  ENI_CONFIG_NAME,
  TERWAY_CNI_CONF_KEY,
} from './facts';

export type TerwayEniConfigMode = 'patch' | 'full';

/** The typed `eni_conf` of a full eni-config. */
export interface EniConfProps {
  /** Zone id to pod vSwitch ids. */
  readonly vswitches: Readonly<Record<string, readonly string[]>>;
  /** Security groups of the ENIs; one renders `security_group`, more render `security_groups`. */
  readonly securityGroups: readonly string[];
  /** The cluster's Service CIDR. */
  readonly serviceCidr: string;
  /**
   * min_pool_size: idle pod IPs each node keeps ready.
   * @default 0
   */
  readonly minPoolSize?: number;
  /**
   * max_pool_size: idle pod IPs above which a node releases them.
   * @default 5
   */
  readonly maxPoolSize?: number;
  /**
   * vswitch_selection_policy.
   * @default DEFAULT_VSWITCH_SELECTION_POLICY
   */
  readonly vswitchSelectionPolicy?: 'ordered' | 'random';
  /**
   * eni_tags.
   * @default - none
   */
  readonly eniTags?: Readonly<Record<string, string>>;
  /**
   * credential_path: where Terway reads its RAM credentials on the node.
   * @default DEFAULT_CREDENTIAL_PATH
   */
  readonly credentialPath?: string;
  /**
   * ip_stack.
   * @default DEFAULT_IP_STACK
   */
  readonly ipStack?: 'ipv4' | 'dual';
  /**
   * Other eni_conf keys, rendered after the typed ones in key order.
   * @default - none
   */
  readonly extra?: Readonly<Record<string, unknown>>;
  /**
   * The cluster's current eni_conf: its keys that neither the typed fields nor `extra` set are kept,
   * so replacing eni_conf drops nothing Terway relies on.
   * @default - none: eni_conf holds only what these props give
   */
  readonly base?: Readonly<Record<string, unknown>>;
}

export interface TerwayEniConfigProps {
  /**
   * patch: a ConfigMap with only the keys netscale owns, applied server-side so ACK's keys stay.
   * full: the whole eni-config. Requires `eniConf`.
   * @default 'patch'
   */
  readonly mode?: TerwayEniConfigMode;
  /**
   * felix_relay_service: the Typha Service Felix connects to.
   * @default - not set: Felix watches the API server directly
   */
  readonly felixRelayService?: string;
  /**
   * disable_network_policy: true renders "true", false renders "false" (Terway reads anything but
   * "false", "0" or "" as off: cmd/terway-cli/common.go).
   * @default - not rendered: the cluster's value stays
   */
  readonly disableNetworkPolicy?: boolean;
  /**
   * eni_conf content (full mode).
   * @default - none (patch mode)
   */
  readonly eniConf?: EniConfProps;
  /**
   * 10-terway.conf content (full mode), complete: start from the cluster's own, since Terway's
   * chart writes cniVersion 0.4.0, bandwidth capabilities, network_policy_provider and the datapath
   * there (charts/terway/templates/terwayd/configmap.yaml) and a shorter file drops them.
   * @default - not rendered: the cluster's 10-terway.conf stays
   */
  readonly cniConf?: Readonly<Record<string, unknown>>;
  /**
   * in_cluster_loadbalance (full mode).
   * @default - not set
   */
  readonly inClusterLoadBalance?: boolean;
  /**
   * @default 'kube-system'
   */
  readonly namespace?: string;
}

/**
 * Terway's `eni-config` ConfigMap: the relay or NetworkPolicy switch (seeds 000/001) and the
 * vSwitch and IP pool settings (seed 003). Terway reads it only at start: restart the
 * `terway-eniip` DaemonSet after a change.
 */
export class TerwayEniConfig extends Construct {
  public readonly mode: TerwayEniConfigMode;
  public readonly data: Readonly<Record<string, string>>;
  public readonly configMap: k8s.KubeConfigMap;

  constructor(scope: Construct, id: string, props: TerwayEniConfigProps = {}) {
    super(scope, id);
    this.mode = props.mode ?? 'patch';
    if (this.mode === 'full' && !props.eniConf)
      throw new Error('TerwayEniConfig mode "full" needs eniConf: Terway cannot start without vswitches, security groups and the service CIDR');
    if (this.mode === 'patch' && (props.eniConf || props.cniConf || props.inClusterLoadBalance !== undefined)) {
      throw new Error(
        'TerwayEniConfig mode "patch" owns only felix_relay_service and disable_network_policy: use mode "full" to render eni_conf, ' +
          '10-terway.conf or in_cluster_loadbalance',
      );
    }
    if (props.felixRelayService !== undefined && props.disableNetworkPolicy === true) {
      throw new Error('TerwayEniConfig: a relay for a disabled NetworkPolicy does nothing; set felixRelayService or disableNetworkPolicy, not both');
    }
    const data = eniConfigData(props);
    this.data = data;

    this.configMap = new k8s.KubeConfigMap(this, 'Resource', {
      metadata: {
        name: ENI_CONFIG_NAME,
        namespace: props.namespace ?? 'kube-system',
      },
      // Patch mode with nothing to own still renders the object: server-side apply then releases
      // keys an earlier version of this profile owned (a relay turned off) instead of leaving them.
      data,
    });
    // ACK's own keys (eni_conf in patch mode, 10-terway.conf) stay: netscale owns only what it renders.
    setOwnership(this.configMap, 'shared');
  }
}

/** The eni-config keys these props render, in patch or full mode. */
export function eniConfigData(props: TerwayEniConfigProps): Record<string, string> {
  const data: Record<string, string> = {};
  // A key the props do not decide is never written: the cluster's value stays.
  if ((props.mode ?? 'patch') === 'full') {
    if (props.cniConf) data[TERWAY_CNI_CONF_KEY] = JSON.stringify(props.cniConf, null, 2);
    if (props.eniConf) data.eni_conf = renderEniConf(props.eniConf);
    if (props.inClusterLoadBalance !== undefined) data.in_cluster_loadbalance = String(props.inClusterLoadBalance);
  }
  if (props.disableNetworkPolicy !== undefined) data.disable_network_policy = props.disableNetworkPolicy ? 'true' : 'false';
  if (props.felixRelayService !== undefined) data.felix_relay_service = props.felixRelayService;
  return sortKeys(data);
}

/** eni_conf as Terway reads it: JSON, typed keys first in a fixed order, pass-through keys after. */
export function renderEniConf(conf: EniConfProps): string {
  const groups = conf.securityGroups.length === 1 ? { security_group: conf.securityGroups[0] } : { security_groups: [...conf.securityGroups] };
  const body: Record<string, unknown> = {
    version: '1',
    max_pool_size: conf.maxPoolSize ?? DEFAULT_MAX_POOL_SIZE,
    min_pool_size: conf.minPoolSize ?? DEFAULT_MIN_POOL_SIZE,
    credential_path: conf.credentialPath ?? DEFAULT_CREDENTIAL_PATH,
    vswitches: sortKeys(Object.fromEntries(Object.entries(conf.vswitches).map(([zone, ids]) => [zone, [...ids]]))),
    ...(conf.eniTags ? { eni_tags: sortKeys({ ...conf.eniTags }) } : {}),
    service_cidr: conf.serviceCidr,
    ...groups,
    vswitch_selection_policy: conf.vswitchSelectionPolicy ?? DEFAULT_VSWITCH_SELECTION_POLICY,
    ip_stack: conf.ipStack ?? DEFAULT_IP_STACK,
  };
  // The typed fields own both spellings of the security groups.
  const kept = Object.fromEntries(
    Object.entries(conf.base ?? {}).filter(([key]) => !(key in body) && key !== 'security_group' && key !== 'security_groups'),
  );
  return JSON.stringify({ ...body, ...sortKeys({ ...kept, ...(conf.extra ?? {}) }) }, null, 2);
}
