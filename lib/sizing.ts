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
 * `maxReplicas` (Calico: 20), and always fewer than the nodes, or a rolling update, which needs a
 * free node for the surge replica's host port, stalls.
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
    errors.push(
      `${replicas} Typha replicas on ${input.nodes} node${input.nodes === 1 ? '' : 's'}: replicas must be fewer than nodes, or a rolling update has no free node for the new replica's host port; set typha.replicas below ${input.nodes} or use networkPolicy: direct (a relay helps above 100 nodes)`,
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
