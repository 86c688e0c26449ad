/**
 * Pod IP capacity of Terway's vSwitches per zone, as small pure functions shared by the rules,
 * the review and the alerts.
 */
import { addressCount, Cidr } from '../../core/cidr';
import { Decision } from '../../core/decision';
import { formatPercent } from '../../core/format';
import { REFERENCES } from '../../core/references';

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
  /**
   * Idle pod IPs each node keeps after serving its pods: Terway's min_pool_size (pkg/eni/manager.go
   * syncPool tops the idle pool up to it; the CRD IPAM's addIP asks MinPoolSize + pods).
   * @default 0
   */
  readonly idlePerNode?: number;
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

/**
 * Pod IPs a zone needs at full density against what its vSwitches can hand out: every node holds
 * its pods plus Terway's idle pool, nodes x (maxPods + min_pool_size).
 */
export function zoneCapacity(input: ZoneCapacityInput): ZoneCapacity {
  const parts = input.vswitches.map((v) => ({ id: v.id, usable: vswitchUsableAddresses(v.cidr), prefix: v.cidr.prefix }));
  const usable = parts.reduce((sum, p) => sum + p.usable, 0);
  const idle = input.idlePerNode ?? 0;
  const demand = input.nodes * (input.maxPodsPerNode + idle);
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
      rule:
        `usable ${sum} = ${usable}; needed ${input.nodes} nodes x (${input.maxPodsPerNode} pods + ${idle} idle, min_pool_size) = ${demand}; ` +
        `headroom ${formatPercent(headroom)}`,
      source: [REFERENCES.ackVswitchExpansion, REFERENCES.vpcReservedAddresses, REFERENCES.terwayPool],
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
