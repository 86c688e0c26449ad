import { Construct } from 'constructs';
import {
  BgpConfiguration,
  BgpPeer,
  FelixConfiguration,
  FelixConfigurationSpec,
  FelixConfigurationSpecNftablesMode,
  IpPool,
  IpPoolSpecIpipMode,
  IpPoolSpecVxlanMode,
} from '../../../imports/crd.projectcalico.org';
import { Cidr, parseCidr } from '../../core/cidr';
import { Decision } from '../../core/decision';
import { throwOnErrors } from '../../core/findings';
import { setOwnership } from '../../core/rollout';
import {
  CALICO_DEFAULT_AS_NUMBER,
  CALICO_DEFAULT_BLOCK_SIZE,
  CALICO_IP_POOL_DEFAULTS,
  CalicoEncapsulationMode,
  PEER_WITH_ROUTE_REFLECTORS,
  ROUTE_REFLECTOR_MESH,
} from './facts';
import { calicoTunnelMtus } from './mtu';
import { calicoRules } from './rules';

export interface CalicoIpPoolProps {
  /** IPPool name. */
  readonly name: string;
  /** Pool CIDR, without host bits. */
  readonly cidr: string;
  /**
   * Per-node block prefix length; one value in every pool (seed 002: 27).
   * @default 26 for IPv4 pools, 122 for IPv6 pools
   */
  readonly blockSize?: number;
  /**
   * IP-in-IP encapsulation (IPv4 pools only).
   * @default 'Never'
   */
  readonly ipipMode?: CalicoEncapsulationMode;
  /**
   * VXLAN encapsulation.
   * @default 'Never'
   */
  readonly vxlanMode?: CalicoEncapsulationMode;
  /**
   * SNAT traffic leaving the pool.
   * @default true
   */
  readonly natOutgoing?: boolean;
  /**
   * Nodes that take addresses from this pool (Calico selector).
   * @default 'all()'
   */
  readonly nodeSelector?: string;
  /**
   * Keep the pool but hand out no new addresses (the first step of moving pods off it).
   * @default false
   */
  readonly disabled?: boolean;
}

export interface CalicoRouteReflectorProps {
  /** Calico selector of the reflector nodes, e.g. `route-reflector == 'true'`. */
  readonly nodeSelector: string;
  /**
   * routeReflectorClusterID set on the reflector nodes.
   * @default DEFAULT_ROUTE_REFLECTOR_CLUSTER_ID
   */
  readonly clusterId?: string;
  /**
   * Names of the reflector nodes, for the labelling commands of the review.
   * @default - a placeholder in the commands
   */
  readonly nodes?: readonly string[];
}

export interface CalicoBgpProps {
  /**
   * The cluster's AS number (BGPConfiguration default).
   * @default CALICO_DEFAULT_AS_NUMBER
   */
  readonly asNumber?: number;
  /**
   * Route reflectors: the node-to-node mesh is turned off and every node peers with them.
   * @default - the full node-to-node mesh
   */
  readonly routeReflectors?: CalicoRouteReflectorProps;
}

export interface CalicoNetworkProps {
  /**
   * IP pools, one IPPool each.
   * @default - none: the pools the cluster has stay as they are
   */
  readonly ipPools?: readonly CalicoIpPoolProps[];
  /**
   * Underlay (node network) MTU; the tunnel MTUs are derived from it.
   * @default - none: no MTU field is set, and Felix derives each tunnel MTU from the host's
   */
  readonly mtu?: number;
  /**
   * WireGuard encryption between nodes (60 bytes of MTU over IPv4, 80 over IPv6).
   * @default false
   */
  readonly wireguard?: boolean;
  /**
   * BGP settings; renders BGPConfiguration default (and BGPPeers with route reflectors).
   * @default - no BGPConfiguration: Calico's defaults (AS 64512, full mesh)
   */
  readonly bgp?: CalicoBgpProps;
  /**
   * FelixConfiguration nftablesMode; Calico must match kube-proxy's nftables mode.
   * @default - not set (Felix's own default)
   */
  readonly nftablesMode?: 'Enabled' | 'Disabled' | 'Auto';
}

/** The spec of one IPPool, every default filled in: what the construct renders and the review lists. */
export function ipPoolSpec(p: CalicoIpPoolProps, family: 4 | 6) {
  return {
    cidr: p.cidr,
    blockSize: p.blockSize ?? CALICO_DEFAULT_BLOCK_SIZE[family],
    ipipMode: p.ipipMode ?? CALICO_IP_POOL_DEFAULTS.ipipMode,
    vxlanMode: p.vxlanMode ?? CALICO_IP_POOL_DEFAULTS.vxlanMode,
    natOutgoing: p.natOutgoing ?? CALICO_IP_POOL_DEFAULTS.natOutgoing,
    nodeSelector: p.nodeSelector ?? CALICO_IP_POOL_DEFAULTS.nodeSelector,
    disabled: p.disabled ?? CALICO_IP_POOL_DEFAULTS.disabled,
  };
}

/**
 * Calico IP pools, tunnel MTUs and BGP route reflectors (seed 002). Every object is shared
 * cluster state: applied server-side and never pruned or deleted by Argo CD, because removing a
 * pool strands the pods that use it and removing a peer cuts routes; removal is a reviewed step.
 */
export class CalicoNetwork extends Construct {
  public readonly ipPools: readonly IpPool[];
  public readonly felixConfiguration?: FelixConfiguration;
  public readonly bgpConfiguration?: BgpConfiguration;
  public readonly bgpPeers: readonly BgpPeer[];
  /** The MTU values and why. */
  public readonly decisions: readonly Decision[];

  constructor(scope: Construct, id: string, props: CalicoNetworkProps = {}) {
    super(scope, id);
    throwOnErrors('CalicoNetwork', calicoRules({ ipPools: props.ipPools, mtu: props.mtu, wireguard: props.wireguard, bgp: props.bgp }, {}));
    const pools = (props.ipPools ?? []).map((p) => ({ props: p, cidr: (parseCidr(p.cidr) as { ok: true; cidr: Cidr }).cidr }));
    this.ipPools = pools.map(({ props: p, cidr }) => {
      const spec = ipPoolSpec(p, cidr.family);
      return new IpPool(this, `IpPool-${p.name}`, {
        metadata: { name: p.name },
        spec: { ...spec, ipipMode: spec.ipipMode as IpPoolSpecIpipMode, vxlanMode: spec.vxlanMode as IpPoolSpecVxlanMode },
      });
    });

    const tunnels = calicoTunnelMtus(props);
    const felix: { -readonly [K in keyof FelixConfigurationSpec]: FelixConfigurationSpec[K] } = { ...tunnels.felix };
    if (props.nftablesMode) felix.nftablesMode = props.nftablesMode as FelixConfigurationSpecNftablesMode;
    if (Object.keys(felix).length > 0) {
      this.felixConfiguration = new FelixConfiguration(this, 'FelixConfiguration', { metadata: { name: 'default' }, spec: felix });
    }
    this.decisions = tunnels.decisions;

    const peers: BgpPeer[] = [];
    if (props.bgp) {
      const rr = props.bgp.routeReflectors;
      if (rr) {
        const reflectors = rr.nodeSelector.trim();
        peers.push(
          new BgpPeer(this, 'PeerWithRouteReflectors', {
            metadata: { name: PEER_WITH_ROUTE_REFLECTORS },
            spec: { nodeSelector: `!(${reflectors})`, peerSelector: reflectors },
          }),
          new BgpPeer(this, 'RouteReflectorMesh', {
            metadata: { name: ROUTE_REFLECTOR_MESH },
            spec: { nodeSelector: reflectors, peerSelector: reflectors },
          }),
        );
      }
      // With reflectors this switches the mesh off: it must apply after the peers (a later sync
      // wave), or every route drops until the reflector sessions come up.
      this.bgpConfiguration = new BgpConfiguration(this, 'BgpConfiguration', {
        metadata: { name: 'default' },
        spec: { asNumber: props.bgp.asNumber ?? CALICO_DEFAULT_AS_NUMBER, nodeToNodeMeshEnabled: rr === undefined },
      });
    }
    this.bgpPeers = peers;
    for (const o of [...this.ipPools, ...peers, this.felixConfiguration, this.bgpConfiguration]) if (o) setOwnership(o, 'shared');
  }
}
