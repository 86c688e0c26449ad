/**
 * Sizing rules as small pure functions. Constructs and the review take their numbers from here,
 * so a number in dist/ and the sentence that explains it can never disagree.
 */
import { addressCount, Cidr } from './net/cidr';

/** A computed value with the rule and inputs that produced it, as the review prints it. */
export interface Decision<T = number | string> {
  readonly name: string;
  readonly value: T;
  /** The rule with the inputs filled in, e.g. `max(3, ceil(1000 / 200)) = 5`. */
  readonly rule: string;
  /** Where the rule comes from (seed, upstream document). */
  readonly source?: string;
  /** A capacity figure (watches, connections, addresses, memory, MTU): the review tables it apart. */
  readonly capacity?: boolean;
  /** Room left, for capacity figures, e.g. "16.6%". */
  readonly headroom?: string;
}

export const TYPHA_DEFAULTS = { nodesPerReplica: 200, minReplicas: 3, maxReplicas: 20 } as const;

export interface TyphaSizingInput {
  readonly nodes: number;
  readonly replicas?: number;
  readonly nodesPerReplica?: number;
  readonly minReplicas?: number;
  readonly maxReplicas?: number;
}

export interface TyphaSizing {
  readonly replicas: number;
  readonly decision: Decision<number>;
  /** The rule asked for more than maxReplicas. */
  readonly capped: boolean;
  /** What the rule gave before the cap. */
  readonly uncapped: number;
  /** Problems that make the result unusable (replicas not fewer than nodes, explicit above the max). */
  readonly errors: string[];
}

/**
 * Typha replicas: one per `nodesPerReplica` nodes (ACK: 200), at least `minReplicas` (3), at most
 * `maxReplicas` (Calico: 20), and always fewer than the nodes: replicas bind host port 5473, one
 * per node, so a drained node's replica needs a node without one.
 */
export function typhaReplicas(input: TyphaSizingInput): TyphaSizing {
  const nodesPerReplica = input.nodesPerReplica ?? TYPHA_DEFAULTS.nodesPerReplica;
  const minReplicas = input.minReplicas ?? TYPHA_DEFAULTS.minReplicas;
  const maxReplicas = input.maxReplicas ?? TYPHA_DEFAULTS.maxReplicas;
  const errors: string[] = [];
  if (minReplicas > maxReplicas) errors.push(`minReplicas (${minReplicas}) must not exceed maxReplicas (${maxReplicas})`);

  let replicas: number;
  let uncapped: number;
  let rule: string;
  if (input.replicas !== undefined) {
    replicas = uncapped = input.replicas;
    rule = `set explicitly to ${replicas}`;
    if (replicas > maxReplicas) errors.push(`replicas (${replicas}) exceeds maxReplicas (${maxReplicas}): raise maxReplicas as well if you mean it`);
  } else {
    const perLoad = Math.ceil(input.nodes / nodesPerReplica);
    uncapped = Math.max(minReplicas, perLoad);
    replicas = Math.min(uncapped, maxReplicas);
    rule = `min(${maxReplicas}, max(${minReplicas}, ceil(${input.nodes} / ${nodesPerReplica}))) = ${replicas}`;
  }
  if (replicas >= input.nodes) {
    const fix = input.nodes > 1 ? `set typha.replicas below ${input.nodes} or use networkPolicy: direct` : 'use networkPolicy: direct';
    errors.push(
      `${replicas} Typha replicas on ${input.nodes} node${input.nodes === 1 ? '' : 's'}: replicas must be fewer than nodes, or a drained node's replica has no free node to move to (one replica per node, host port 5473); ${fix} (a relay helps above 100 nodes)`,
    );
  }
  return {
    replicas,
    uncapped,
    capped: replicas < uncapped,
    errors,
    decision: { name: 'Typha replicas', value: replicas, rule, source: 'ACK: one replica per 200 nodes, at least 3; Calico: at most 20, fewer than nodes' },
  };
}

/** Alibaba Cloud keeps the first and the last three addresses of every IPv4 vSwitch. */
export const VSWITCH_RESERVED_ADDRESSES = 4;
/** Seed 003: pod vSwitches of /19 or larger (8192 addresses). */
export const VSWITCH_RECOMMENDED_PREFIX = 19;

export function vswitchUsableAddresses(cidr: Cidr): number {
  return Math.max(0, Number(addressCount(cidr)) - VSWITCH_RESERVED_ADDRESSES);
}

export interface ZoneCapacityInput {
  readonly zone: string;
  readonly nodes: number;
  readonly maxPodsPerNode: number;
  /** The zone's vSwitches with their CIDRs. */
  readonly vswitches: ReadonlyArray<{ id: string; cidr: Cidr }>;
}

export interface ZoneCapacity {
  readonly zone: string;
  readonly usable: number;
  readonly demand: number;
  /** (usable - demand) / usable; negative when pods cannot fit. */
  readonly headroom: number;
  readonly decision: Decision<number>;
}

/** Pod IPs a zone needs at full density against what its vSwitches can hand out. */
export function zoneCapacity(input: ZoneCapacityInput): ZoneCapacity {
  const parts = input.vswitches.map((v) => ({ id: v.id, usable: vswitchUsableAddresses(v.cidr), prefix: v.cidr.prefix }));
  const usable = parts.reduce((sum, p) => sum + p.usable, 0);
  const demand = input.nodes * input.maxPodsPerNode;
  const headroom = usable === 0 ? -1 : (usable - demand) / usable;
  const sum = parts.map((p) => `(2^${32 - p.prefix} - ${VSWITCH_RESERVED_ADDRESSES})`).join(' + ');
  return {
    zone: input.zone,
    usable,
    demand,
    headroom,
    decision: {
      name: `Pod IPs in ${input.zone}`,
      value: usable,
      rule: `usable ${sum} = ${usable}; needed ${input.nodes} nodes x ${input.maxPodsPerNode} pods = ${demand}; headroom ${formatPercent(headroom)}`,
      source: 'seed 003; Alibaba Cloud reserves 4 addresses per vSwitch',
      capacity: true,
      headroom: formatPercent(headroom),
    },
  };
}

/** Nodes per zone when the profile does not say: spread evenly, the remainder to the first zones. */
export function spreadNodes(nodes: number, zones: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  const base = Math.floor(nodes / Math.max(1, zones.length));
  const rest = nodes - base * zones.length;
  zones.forEach((z, i) => out.set(z, base + (i < rest ? 1 : 0)));
  return out;
}

export function formatPercent(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10}%`;
}

/** 12345 -> "12,345": numbers in reviews are read by people. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** kube-proxy's conntrack defaults (KubeProxyConfiguration v1alpha1 defaulting). */
export const KUBE_PROXY_CONNTRACK_DEFAULTS = {
  maxPerCore: 32768,
  min: 131072,
  tcpEstablishedTimeout: '24h0m0s',
  tcpCloseWaitTimeout: '1h0m0s',
} as const;

/**
 * Planning figure for one conntrack entry, in bytes. An estimate: /proc/slabinfo shows the
 * nf_conntrack object at about 300 bytes (304 measured) and the size varies with kernel and
 * build; 320 leaves headroom. Measure `grep nf_conntrack /proc/slabinfo` on your nodes.
 */
export const CONNTRACK_BYTES_PER_ENTRY = 320;

/** kube-proxy's conntrack fields are int32, and the kernel refuses nf_conntrack_max above it. */
export const INT32_MAX = 2147483647;

export interface ConntrackSizingInput {
  readonly cpuPerNode: number;
  /** Target nf_conntrack_max: maxPerCore = ceil(conntrackMax / cpuPerNode), min = conntrackMax. */
  readonly conntrackMax?: number;
  /** conntrack.maxPerCore, explicit; 0 leaves the kernel's limit alone. */
  readonly conntrackMaxPerCore?: number;
  /** conntrack.min, explicit. */
  readonly conntrackMin?: number;
}

/** The profile field a conntrack problem comes from. */
export type ConntrackField = 'conntrackMax' | 'conntrackMaxPerCore' | 'conntrackMin';

export interface ConntrackProblem {
  readonly severity: 'error' | 'warning';
  readonly field: ConntrackField;
  readonly message: string;
}

export interface ConntrackSizing {
  /** conntrack.maxPerCore to render. */
  readonly maxPerCore: number;
  /** conntrack.min to render. */
  readonly min: number;
  /** nf_conntrack_max kube-proxy sets: max(maxPerCore x cpus, min); undefined when maxPerCore is 0. */
  readonly effectiveMax: number | undefined;
  /** Estimated kernel memory of a full table (effectiveMax x CONNTRACK_BYTES_PER_ENTRY). */
  readonly memoryBytes: number | undefined;
  readonly decisions: readonly Decision[];
  /** int32 overflows (errors) and a limit below kube-proxy's default (warning). */
  readonly problems: readonly ConntrackProblem[];
}

/**
 * conntrack sizing as kube-proxy applies it: it sets nf_conntrack_max to
 * max(maxPerCore x cpus, min) at start, overwriting a hand-set sysctl (seed 002).
 * Throws when conntrackMax is combined with conntrackMaxPerCore or conntrackMin: the profile
 * rules reject that before sizing runs.
 */
export function conntrackSizing(input: ConntrackSizingInput): ConntrackSizing {
  const cpu = input.cpuPerNode;
  if (!Number.isInteger(cpu) || cpu < 1) throw new Error(`conntrackSizing: cpuPerNode must be a whole number of at least 1 (got ${cpu})`);
  if (input.conntrackMax !== undefined && (input.conntrackMaxPerCore !== undefined || input.conntrackMin !== undefined)) {
    throw new Error('conntrackSizing: give conntrackMax, or conntrackMaxPerCore and conntrackMin, not both');
  }
  const decisions: Decision[] = [];
  const problems: ConntrackProblem[] = [];
  const source = 'seed 002; kube-proxy sets nf_conntrack_max = max(maxPerCore x cpus, min)';
  const fromMax = input.conntrackMax !== undefined;

  let maxPerCore: number;
  let min: number;
  if (input.conntrackMax !== undefined) {
    maxPerCore = Math.ceil(input.conntrackMax / cpu);
    min = input.conntrackMax;
    decisions.push({ name: 'conntrack.maxPerCore', value: maxPerCore, rule: `maxPerCore = ceil(${input.conntrackMax} / ${cpu}) = ${maxPerCore}`, source });
    decisions.push({ name: 'conntrack.min', value: min, rule: `min = conntrackMax = ${min}`, source });
  } else {
    maxPerCore = input.conntrackMaxPerCore ?? KUBE_PROXY_CONNTRACK_DEFAULTS.maxPerCore;
    min = input.conntrackMin ?? KUBE_PROXY_CONNTRACK_DEFAULTS.min;
    decisions.push({
      name: 'conntrack.maxPerCore',
      value: maxPerCore,
      rule: input.conntrackMaxPerCore !== undefined ? `set explicitly to ${maxPerCore}` : `kube-proxy default ${maxPerCore}`,
    });
    decisions.push({ name: 'conntrack.min', value: min, rule: input.conntrackMin !== undefined ? `set explicitly to ${min}` : `kube-proxy default ${min}` });
  }

  const perCoreField: ConntrackField = fromMax ? 'conntrackMax' : 'conntrackMaxPerCore';
  const minField: ConntrackField = fromMax ? 'conntrackMax' : 'conntrackMin';
  if (maxPerCore > INT32_MAX) problems.push({ severity: 'error', field: perCoreField, message: `conntrack.maxPerCore ${maxPerCore} exceeds the int32 limit ${INT32_MAX}` });
  if (min > INT32_MAX) problems.push({ severity: 'error', field: minField, message: `conntrack.min ${min} exceeds the int32 limit ${INT32_MAX}` });

  if (maxPerCore === 0) {
    decisions.push({ name: 'nf_conntrack_max', value: 0, rule: 'maxPerCore 0: kube-proxy leaves nf_conntrack_max and min alone (the kernel or sysctl value stays)', source });
    return { maxPerCore, min, effectiveMax: undefined, memoryBytes: undefined, decisions, problems };
  }

  const scaled = maxPerCore * cpu;
  const effectiveMax = Math.max(scaled, min);
  if (scaled > INT32_MAX) {
    problems.push({ severity: 'error', field: perCoreField, message: `maxPerCore ${maxPerCore} x ${cpu} CPUs = ${scaled} exceeds the int32 limit ${INT32_MAX}: the kernel refuses nf_conntrack_max above it` });
  }
  const defaultMax = Math.max(KUBE_PROXY_CONNTRACK_DEFAULTS.maxPerCore * cpu, KUBE_PROXY_CONNTRACK_DEFAULTS.min);
  if (effectiveMax < defaultMax) {
    problems.push({
      severity: 'warning',
      field: perCoreField,
      message: `nf_conntrack_max would be ${effectiveMax} (max(${maxPerCore} x ${cpu}, ${min})), below kube-proxy's default ${defaultMax} (max(${KUBE_PROXY_CONNTRACK_DEFAULTS.maxPerCore} x ${cpu}, ${KUBE_PROXY_CONNTRACK_DEFAULTS.min})) on ${cpu}-CPU nodes: a full table drops new connections`,
    });
  }
  const memoryBytes = effectiveMax * CONNTRACK_BYTES_PER_ENTRY;
  decisions.push({ name: 'nf_conntrack_max', value: effectiveMax, rule: `max(${maxPerCore} x ${cpu}, ${min}) = ${effectiveMax}`, source });
  decisions.push({
    name: 'conntrack memory per node (estimate)',
    value: formatMebibytes(memoryBytes),
    rule: `${effectiveMax} entries x ${CONNTRACK_BYTES_PER_ENTRY} bytes = ${formatMebibytes(memoryBytes)} when the table is full (planning figure; slabinfo shows ~300 bytes per entry)`,
    capacity: true,
  });
  return { maxPerCore, min, effectiveMax, memoryBytes, decisions, problems };
}

/** 739430400 -> "705.2 MiB". */
export function formatMebibytes(bytes: number): string {
  return `${Math.round((bytes / 1048576) * 10) / 10} MiB`;
}

export type TunnelEncapsulation = 'ipip' | 'vxlan' | 'wireguard' | 'none';

/**
 * Bytes each encapsulation adds (Calico's MTU guide): IP-in-IP 20, VXLAN 50 over IPv4 and 70
 * over IPv6, WireGuard 60 over IPv4 and 80 over IPv6. Calico carries no IPv6 in IP-in-IP.
 */
export const TUNNEL_OVERHEAD: Readonly<Record<TunnelEncapsulation, Readonly<{ 4: number; 6?: number }>>> = {
  ipip: { 4: 20 },
  vxlan: { 4: 50, 6: 70 },
  wireguard: { 4: 60, 6: 80 },
  none: { 4: 0, 6: 0 },
};

export interface TunnelMtu {
  readonly value: number;
  readonly decision: Decision<number>;
}

/** The tunnel device MTU: the underlay MTU less the encapsulation's header (1500 -> 1480 for IP-in-IP). */
export function tunnelMtu(underlayMtu: number, encapsulation: TunnelEncapsulation, ipFamily: 4 | 6 = 4): TunnelMtu {
  if (!Number.isInteger(underlayMtu) || underlayMtu < 1) throw new Error(`tunnelMtu: underlayMtu must be a whole number of bytes (got ${underlayMtu})`);
  const overhead = TUNNEL_OVERHEAD[encapsulation][ipFamily];
  if (overhead === undefined) throw new Error(`tunnelMtu: ${encapsulation} does not carry IPv${ipFamily} traffic in Calico; use vxlan or wireguard`);
  const value = underlayMtu - overhead;
  const label = encapsulation === 'none' ? 'no encapsulation' : `${encapsulation === 'ipip' ? 'IP-in-IP' : encapsulation === 'vxlan' ? 'VXLAN' : 'WireGuard'} over IPv${ipFamily}`;
  return {
    value,
    decision: {
      name: `${encapsulation} MTU${ipFamily === 6 ? ' (IPv6)' : ''}`,
      value,
      rule: `${underlayMtu} - ${overhead} (${label}) = ${value}`,
      source: encapsulation === 'ipip' ? 'seed 002: IPIP MTU 1480 (-20); Calico MTU guide' : 'Calico MTU guide',
      capacity: true,
    },
  };
}

/**
 * Resource types one Felix syncer watches on the API server in Kubernetes-datastore mode with
 * Calico IPAM (libcalico-go lib/backend/syncersv1/felixsyncer/felixsyncerv1.go, Calico 3.2x):
 * ClusterInformation, FelixConfiguration, GlobalNetworkPolicy, GlobalNetworkSet, IPPool, Node,
 * Profile, WorkloadEndpoint, NetworkPolicy, NetworkSet, HostEndpoint, BGPConfiguration,
 * KubernetesNetworkPolicy, KubernetesEndpointSlice, KubernetesService and IPAM blocks. Releases
 * from 3.29 add tiers, staged and admin network policies (up to 24): 16 is the floor.
 */
export const FELIX_WATCHED_RESOURCE_TYPES = 16;

export interface ApiServerWatches {
  readonly withoutRelay: number;
  readonly withRelay: number;
  /** withoutRelay / withRelay. */
  readonly reduction: number;
  readonly decision: Decision<string>;
}

/** Watches on the API server: every node's Felix without the relay, only the Typha replicas with it. */
export function apiServerWatches(nodes: number, typhaReplicas: number): ApiServerWatches {
  const withoutRelay = nodes * FELIX_WATCHED_RESOURCE_TYPES;
  const withRelay = typhaReplicas * FELIX_WATCHED_RESOURCE_TYPES;
  const reduction = withoutRelay / withRelay;
  return {
    withoutRelay,
    withRelay,
    reduction,
    decision: {
      name: 'API server watches from Felix',
      value: `${formatCount(withoutRelay)} -> ${formatCount(withRelay)}`,
      rule: `${formatCount(nodes)} nodes x ${FELIX_WATCHED_RESOURCE_TYPES} resource types = ${formatCount(withoutRelay)} watches without the relay; ${typhaReplicas} Typha replicas x ${FELIX_WATCHED_RESOURCE_TYPES} = ${formatCount(withRelay)} with it, ${formatRatio(reduction)} fewer`,
      source: 'seeds 000/001; Calico felixsyncer resource types',
      capacity: true,
    },
  };
}

/** Upstream Typha's per-replica connection limits (typha config: MaxConnectionsLowerLimit, MaxConnectionsUpperLimit). */
export const TYPHA_MAX_CONNECTIONS = { lower: 400, upper: 10000 } as const;

export interface TyphaHeadroomInput {
  readonly nodes: number;
  readonly replicas: number;
  /** Typha clients per node: Felix, plus confd where Calico runs BGP. */
  readonly clientsPerNode: number;
  /** Syncer types the Typha release serves (3 up to Calico 3.2x's rebalancing rework, 4 after). */
  readonly syncerTypes: number;
}

export interface TyphaHeadroom {
  /** Connections per replica with every replica up. */
  readonly perReplica: number;
  /** Connections per replica with one replica down (an upgrade, a drained node). */
  readonly perReplicaOneDown: number;
  /** The connection limit Typha sets itself (rebalance.go). */
  readonly limit: number;
  /** (limit - perReplicaOneDown) / limit; negative when the remaining replicas cannot carry every node. */
  readonly headroom: number;
  readonly decision: Decision<string>;
}

/**
 * Whether Typha still carries every node with one replica down. Typha caps its own connections at
 * syncerTypes x (1 + nodes x 1.2 / (replicas - 1)), the +20% and the replica short being
 * rebalance.go's allowance for an upgrade, clamped to [400, 10000]; a lone Typha takes the upper limit.
 */
export function typhaHeadroom(input: TyphaHeadroomInput): TyphaHeadroom {
  const clients = input.nodes * input.clientsPerNode;
  const perReplica = Math.ceil(clients / input.replicas);
  const perReplicaOneDown = input.replicas > 1 ? Math.ceil(clients / (input.replicas - 1)) : clients;
  const raw = input.replicas > 1 ? input.syncerTypes * (1 + Math.floor((input.nodes * 120) / (input.replicas - 1) / 100)) : TYPHA_MAX_CONNECTIONS.upper;
  const limit = Math.min(TYPHA_MAX_CONNECTIONS.upper, Math.max(TYPHA_MAX_CONNECTIONS.lower, raw));
  const headroom = (limit - perReplicaOneDown) / limit;
  const formula = input.replicas > 1 ? `min(${TYPHA_MAX_CONNECTIONS.upper}, max(${TYPHA_MAX_CONNECTIONS.lower}, ${input.syncerTypes} x (1 + ${input.nodes} x 1.2 / ${input.replicas - 1}))) = ${limit}` : `one replica: the upper limit ${limit}`;
  return {
    perReplica,
    perReplicaOneDown,
    limit,
    headroom,
    decision: {
      name: 'Typha connections per replica',
      value: `${formatCount(perReplica)} (${formatCount(perReplicaOneDown)} with one down)`,
      rule: `${formatCount(input.nodes)} nodes x ${input.clientsPerNode} client${input.clientsPerNode === 1 ? '' : 's'} / ${input.replicas} replicas; with one down / ${Math.max(1, input.replicas - 1)}; Typha's own limit ${formula}; headroom ${formatPercent(headroom)}`,
      source: 'Calico typha rebalance.go',
      capacity: true,
      headroom: formatPercent(headroom),
    },
  };
}

function formatRatio(ratio: number): string {
  return `${Number.isInteger(ratio) ? ratio : ratio.toFixed(1)}x`;
}
