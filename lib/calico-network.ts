import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-27';
import {
  BgpConfiguration,
  BgpPeer,
  FelixConfiguration,
  FelixConfigurationSpec,
  FelixConfigurationSpecNftablesMode,
  IpPool,
  IpPoolSpecIpipMode,
  IpPoolSpecVxlanMode,
} from '../imports/crd.projectcalico.org';
import { Cidr, overlaps, parseCidr } from './net/cidr';
import { error, FieldPath, Finding, formatPath, warning } from './profile/diagnostics';
import type { CalicoSpec } from './profile/schema';
import { Decision, INT32_MAX, tunnelMtu, TunnelEncapsulation } from './sizing';
import { SHARED_OBJECT_SYNC_OPTIONS } from './terway-eni-config';
import { TYPHA_NAME } from './typha-relay';

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

/** Calico refuses pools that overlap the link-local ranges. */
const LINK_LOCAL = [parseCidr('169.254.0.0/16'), parseCidr('fe80::/10')].map((p) => (p.ok ? p.cidr : undefined)).filter((c): c is Cidr => c !== undefined);

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
   * @default DEFAULT_UNDERLAY_MTU
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

/**
 * The FelixConfiguration MTU fields for the encapsulations the pools use, each derived from the
 * underlay MTU, with the decisions that explain them. Pure: the review and the construct share it.
 */
export function calicoTunnelMtus(props: Pick<CalicoNetworkProps, 'ipPools' | 'mtu' | 'wireguard'>): { felix: Partial<Record<'ipipMtu' | 'vxlanMtu' | 'vxlanMtuv6' | 'wireguardMtu' | 'wireguardMtuv6', number>> & { wireguardEnabled?: boolean; wireguardEnabledV6?: boolean }; decisions: Decision[] } {
  const mtu = props.mtu ?? DEFAULT_UNDERLAY_MTU;
  const pools = (props.ipPools ?? []).map((p) => ({ props: p, cidr: parseCidr(p.cidr) })).filter((p): p is { props: CalicoIpPoolProps; cidr: { ok: true; cidr: Cidr } } => p.cidr.ok);
  const decisions: Decision[] = [];
  const felix: ReturnType<typeof calicoTunnelMtus>['felix'] = {};
  const derive = (encapsulation: TunnelEncapsulation, family: 4 | 6) => {
    const t = tunnelMtu(mtu, encapsulation, family);
    decisions.push(t.decision);
    return t.value;
  };
  // Disabled pools count: their pods keep their addresses and still use the tunnel.
  const uses = (mode: 'ipipMode' | 'vxlanMode', family: 4 | 6) => pools.some((p) => p.cidr.cidr.family === family && (p.props[mode] ?? 'Never') !== 'Never');
  if (uses('ipipMode', 4)) felix.ipipMtu = derive('ipip', 4);
  if (uses('vxlanMode', 4)) felix.vxlanMtu = derive('vxlan', 4);
  if (uses('vxlanMode', 6)) felix.vxlanMtuv6 = derive('vxlan', 6);
  if (props.wireguard) {
    const families = new Set(pools.map((p) => p.cidr.cidr.family));
    if (families.has(4)) {
      felix.wireguardEnabled = true;
      felix.wireguardMtu = derive('wireguard', 4);
    }
    if (families.has(6)) {
      felix.wireguardEnabledV6 = true;
      felix.wireguardMtuv6 = derive('wireguard', 6);
    }
  }
  return { felix, decisions };
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
    const problems = calicoRules({ ipPools: props.ipPools, mtu: props.mtu, wireguard: props.wireguard, bgp: props.bgp }, {}).filter((p) => p.severity === 'error');
    if (problems.length > 0) throw new Error(`CalicoNetwork: ${problems.map((p) => `${formatPath(p.path)}: ${p.message}`).join('; ')}`);

    const annotations = { 'argocd.argoproj.io/sync-options': SHARED_OBJECT_SYNC_OPTIONS };
    const pools = (props.ipPools ?? []).map((p) => ({ props: p, cidr: (parseCidr(p.cidr) as { ok: true; cidr: Cidr }).cidr }));
    this.ipPools = pools.map(
      ({ props: p, cidr }) =>
        new IpPool(this, `IpPool-${p.name}`, {
          metadata: { name: p.name, annotations },
          spec: {
            cidr: p.cidr,
            blockSize: p.blockSize ?? CALICO_DEFAULT_BLOCK_SIZE[cidr.family],
            ipipMode: (p.ipipMode ?? 'Never') as IpPoolSpecIpipMode,
            vxlanMode: (p.vxlanMode ?? 'Never') as IpPoolSpecVxlanMode,
            natOutgoing: p.natOutgoing ?? true,
            nodeSelector: p.nodeSelector ?? 'all()',
            disabled: p.disabled ?? false,
          },
        }),
    );

    const tunnels = calicoTunnelMtus(props);
    const felix: { -readonly [K in keyof FelixConfigurationSpec]: FelixConfigurationSpec[K] } = { ...tunnels.felix };
    if (props.nftablesMode) felix.nftablesMode = props.nftablesMode as FelixConfigurationSpecNftablesMode;
    if (Object.keys(felix).length > 0) {
      this.felixConfiguration = new FelixConfiguration(this, 'FelixConfiguration', { metadata: { name: 'default', annotations }, spec: felix });
    }
    this.decisions = tunnels.decisions;

    const peers: BgpPeer[] = [];
    if (props.bgp) {
      const rr = props.bgp.routeReflectors;
      if (rr) {
        const reflectors = rr.nodeSelector.trim();
        peers.push(
          new BgpPeer(this, 'PeerWithRouteReflectors', {
            metadata: { name: PEER_WITH_ROUTE_REFLECTORS, annotations },
            spec: { nodeSelector: `!(${reflectors})`, peerSelector: reflectors },
          }),
          new BgpPeer(this, 'RouteReflectorMesh', {
            metadata: { name: ROUTE_REFLECTOR_MESH, annotations },
            spec: { nodeSelector: reflectors, peerSelector: reflectors },
          }),
        );
      }
      // With reflectors this switches the mesh off: it must apply after the peers (a later sync
      // wave), or every route drops until the reflector sessions come up.
      this.bgpConfiguration = new BgpConfiguration(this, 'BgpConfiguration', {
        metadata: { name: 'default', annotations },
        spec: { asNumber: props.bgp.asNumber ?? CALICO_DEFAULT_AS_NUMBER, nodeToNodeMeshEnabled: rr === undefined },
      });
    }
    this.bgpPeers = peers;
  }
}

export interface CalicoTyphaConfigProps {
  /**
   * Typha Service calico-node connects to (typha_service_name).
   * @default 'calico-typha'
   */
  readonly serviceName?: string;
  /**
   * Namespace of calico-config.
   * @default 'kube-system'
   */
  readonly namespace?: string;
}

/**
 * Points a self-managed (manifest-installed) Calico at Typha: a patch of `calico-config` owning
 * only `typha_service_name`, applied server-side so the install's other keys stay. calico-node
 * reads it at start (FELIX_TYPHAK8SSERVICENAME): restart the DaemonSet after Typha is ready.
 */
export class CalicoTyphaConfig extends Construct {
  public readonly configMap: k8s.KubeConfigMap;

  constructor(scope: Construct, id: string, props: CalicoTyphaConfigProps = {}) {
    super(scope, id);
    const serviceName = props.serviceName ?? TYPHA_NAME;
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(serviceName)) throw new Error(`CalicoTyphaConfig serviceName must be a Service name (DNS label), got ${JSON.stringify(serviceName)}`);
    this.configMap = new k8s.KubeConfigMap(this, 'Resource', {
      metadata: { name: CALICO_CONFIG_NAME, namespace: props.namespace ?? 'kube-system', annotations: { 'argocd.argoproj.io/sync-options': SHARED_OBJECT_SYNC_OPTIONS } },
      data: { typha_service_name: serviceName },
    });
  }
}

/** calico-node reads typha_service_name only at start. */
export function calicoNodeRestartStep(namespace = 'kube-system'): string {
  return `calico-node reads typha_service_name from ${CALICO_CONFIG_NAME} only when it starts: once Typha is ready, restart it node by node with \`kubectl -n ${namespace} rollout restart ds/${CALICO_NODE_DAEMONSET} && kubectl -n ${namespace} rollout status ds/${CALICO_NODE_DAEMONSET} --timeout=30m\`.`;
}

export interface CalicoCheckContext {
  /** The cluster's Service CIDR (one, or an IPv4 and an IPv6 CIDR separated by a comma). */
  readonly serviceCidr?: string;
  /** The cluster's pod CIDR (kube-proxy clusterCIDR); every pool should lie inside it. */
  readonly clusterCidr?: string;
  /** Networks the pools must not touch: other clusters' pod CIDRs, node subnets. */
  readonly otherCidrs?: ReadonlyArray<{ readonly path: FieldPath | string; readonly cidr: string }>;
}

interface Problem {
  readonly severity: 'error' | 'warning';
  /** Relative to the calico section. */
  readonly path: FieldPath;
  readonly message: string;
  readonly source?: string;
}

/** Cross-field rules of `spec.calico`, every problem at once with its field path. */
export function checkCalico(spec: CalicoSpec, ctx: CalicoCheckContext = {}): Finding[] {
  return calicoRules(spec, ctx).map((p) => {
    const path: FieldPath = ['spec', 'calico', ...p.path];
    return p.severity === 'error' ? error(path, p.message) : warning(path, p.message, p.source);
  });
}

type CalicoInput = Pick<CalicoNetworkProps, 'mtu' | 'wireguard' | 'bgp'> & { readonly ipPools?: readonly CalicoIpPoolProps[] };

function calicoRules(input: CalicoInput, ctx: CalicoCheckContext): Problem[] {
  const out: Problem[] = [];
  const err = (path: FieldPath, message: string) => out.push({ severity: 'error', path, message });
  const warn = (path: FieldPath, message: string, source?: string) => out.push({ severity: 'warning', path, message, source });
  const pools = input.ipPools ?? [];

  const seen = new Map<string, number>();
  pools.forEach((p, i) => {
    if (seen.has(p.name)) err(['ipPools', i, 'name'], `"${p.name}" is also the name of ipPools[${seen.get(p.name)}]: each IPPool needs its own name`);
    else seen.set(p.name, i);
  });

  const parsed: Array<{ index: number; pool: CalicoIpPoolProps; cidr: Cidr; blockSize: number }> = [];
  pools.forEach((pool, i) => {
    const at = (...p: FieldPath): FieldPath => ['ipPools', i, ...p];
    const result = parseCidr(pool.cidr);
    if (!result.ok) {
      err(at('cidr'), `${pool.cidr} ${result.reason}`);
      return;
    }
    const cidr = result.cidr;
    const family = cidr.family;
    const blockSize = pool.blockSize ?? CALICO_DEFAULT_BLOCK_SIZE[family];
    parsed.push({ index: i, pool, cidr, blockSize });

    for (const ll of LINK_LOCAL) if (overlaps(cidr, ll)) err(at('cidr'), `${pool.cidr} overlaps the link-local range ${ll.text}, which Calico refuses`);

    const [lo, hi] = CALICO_BLOCK_SIZE_RANGE[family];
    if (blockSize < lo || blockSize > hi) {
      err(at('blockSize'), `${blockSize} is outside ${lo}..${hi}, the block sizes Calico accepts for an IPv${family} pool`);
    } else if (blockSize < cidr.prefix && !pool.disabled) {
      err(at(pool.blockSize !== undefined ? 'blockSize' : 'cidr'), `a /${blockSize} block is larger than the pool ${pool.cidr}: blockSize must be at least the pool's prefix length (${cidr.prefix}), or the pool larger`);
    }

    const ipip = pool.ipipMode ?? 'Never';
    const vxlan = pool.vxlanMode ?? 'Never';
    if (ipip !== 'Never' && vxlan !== 'Never') err(at(), `ipipMode ${ipip} and vxlanMode ${vxlan} are both on: a pool uses one encapsulation; set the other to Never`);
    if (family === 6 && ipip !== 'Never') err(at('ipipMode'), `${ipip} on the IPv6 pool ${pool.cidr}: Calico's IP-in-IP carries IPv4 only; use vxlanMode for IPv6 pools`);
  });

  for (const family of [4, 6] as const) {
    const same = parsed.filter((p) => p.cidr.family === family);
    const first = same[0];
    for (const p of same.slice(1)) {
      if (p.blockSize !== first.blockSize) {
        const shown = p.pool.blockSize !== undefined ? `${p.blockSize}` : `${p.blockSize} (the default)`;
        err(['ipPools', p.index, ...(p.pool.blockSize !== undefined ? ['blockSize'] : [])], `blockSize ${shown} differs from ${first.blockSize} in ipPools[${first.index}] ("${first.pool.name}"): use one blockSize in every IPv${family} pool (seed 002: 27 everywhere)`);
      }
    }
  }

  parsed.forEach((a, x) => {
    for (const b of parsed.slice(x + 1)) {
      if (overlaps(a.cidr, b.cidr)) err(['ipPools', b.index, 'cidr'], `${b.pool.cidr} overlaps ipPools[${a.index}] ("${a.pool.name}", ${a.pool.cidr}): pools must not share addresses`);
    }
  });

  const serviceCidrs = (ctx.serviceCidr ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const cluster = (ctx.clusterCidr ?? '').split(',').map((s) => parseCidr(s.trim())).flatMap((r) => (r.ok ? [r.cidr] : []));
  for (const p of parsed) {
    const at: FieldPath = ['ipPools', p.index, 'cidr'];
    for (const text of serviceCidrs) {
      const s = parseCidr(text);
      if (s.ok && overlaps(p.cidr, s.cidr)) err(at, `${p.pool.cidr} overlaps the Service CIDR ${text}: pod and Service addresses would collide`);
    }
    for (const other of ctx.otherCidrs ?? []) {
      const o = parseCidr(other.cidr);
      const where = typeof other.path === 'string' ? other.path : formatPath(other.path);
      if (o.ok && overlaps(p.cidr, o.cidr)) err(at, `${p.pool.cidr} overlaps ${where} (${other.cidr}): the two networks would route the same addresses`);
    }
    const sameFamily = cluster.filter((c) => c.family === p.cidr.family);
    if (sameFamily.length > 0 && !sameFamily.some((c) => c.network <= p.cidr.network && p.cidr.last <= c.last)) {
      warn(at, `${p.pool.cidr} lies outside the cluster CIDR ${ctx.clusterCidr}: kube-proxy treats traffic from these pods as coming from outside the cluster`);
    }
  }

  const bgp = input.bgp;
  if (bgp?.asNumber !== undefined && (!Number.isInteger(bgp.asNumber) || bgp.asNumber < 1 || bgp.asNumber > MAX_AS_NUMBER)) {
    err(['bgp', 'asNumber'], `must be an AS number from 1 to ${MAX_AS_NUMBER} (got ${bgp.asNumber})`);
  } else if (bgp?.asNumber !== undefined && bgp.asNumber > INT32_MAX) {
    warn(
      ['bgp', 'asNumber'],
      `${bgp.asNumber} is a valid 4-byte AS number, but the crd.projectcalico.org CRDs of most Calico releases declare asNumber as int32 and the API server refuses values above ${INT32_MAX}: check your release accepts it, or pick a private AS from 64512-65534`,
      'projectcalico/calico#13494, fixed by #13979',
    );
  }
  const rr = bgp?.routeReflectors;
  if (rr) {
    if (rr.nodeSelector.trim() === '') err(['bgp', 'routeReflectors', 'nodeSelector'], "must select the reflector nodes, e.g. route-reflector == 'true': an empty selector leaves every node without a peer once the mesh is off");
    if (rr.nodes !== undefined && rr.nodes.length < 2) {
      warn(['bgp', 'routeReflectors', 'nodes'], `lists ${rr.nodes.length} reflector${rr.nodes.length === 1 ? '' : 's'}: with one, its restart stops route exchange for the whole cluster; run at least two, on different switches`, 'seed 002: reflectors with bonded NICs on different switches');
    }
  }
  return out;
}

/** `route-reflector == 'true'` -> `route-reflector=true`; undefined when no single label says it. */
export function labelForSelector(selector: string): string | undefined {
  const eq = /^\s*([A-Za-z0-9][-A-Za-z0-9_./]*)\s*==\s*(['"])([-A-Za-z0-9_.]*)\2\s*$/.exec(selector);
  if (eq) return `${eq[1]}=${eq[3]}`;
  const has = /^\s*has\(\s*([A-Za-z0-9][-A-Za-z0-9_./]*)\s*\)\s*$/.exec(selector);
  if (has) return `${has[1]}=true`;
  return undefined;
}

/**
 * The manual part of moving to route reflectors, with exact commands: drain, label and patch
 * each reflector before the change is synced, then check the sessions.
 */
export function calicoRouteReflectorSteps(rr: CalicoRouteReflectorProps): string[] {
  const nodes = rr.nodes && rr.nodes.length > 0 ? [...rr.nodes] : ['<node>'];
  const label = labelForSelector(rr.nodeSelector) ?? `<a label matching: ${rr.nodeSelector}>`;
  const patch = JSON.stringify({ spec: { bgp: { routeReflectorClusterID: rr.clusterId ?? DEFAULT_ROUTE_REFLECTOR_CLUSTER_ID } } });
  const placeholder = nodes[0] === '<node>' ? ' (replace <node> by each reflector node; run at least two)' : '';
  const perNode = nodes.map(
    (n) => `\`kubectl drain ${n} --ignore-daemonsets --delete-emptydir-data && kubectl label node ${n} ${label} && calicoctl patch node ${n} -p '${patch}' && kubectl uncordon ${n}\``,
  );
  return [
    `Before this change is synced, make each route reflector${placeholder}: a node leaves the BGP mesh the moment it gets a cluster ID, so drain it first. ${perNode.join('; ')}.`,
    `After the sync, check on a reflector that every node's session is Established before relying on it: \`calicoctl node status\`. The node-to-node mesh goes off when BGPConfiguration default applies.`,
  ];
}
