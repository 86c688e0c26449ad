/**
 * Typha sizing and what the relay does for the API server, as small pure functions: the
 * construct, the review and the alerts take their numbers from here.
 */
import { Decision } from '../../core/decision';
import { formatCount, formatPercent, formatRatio } from '../../core/format';
import { FELIX_WATCHED_RESOURCE_TYPES, TYPHA_DEFAULTS } from './facts';
import { TyphaConnectionLimits, typhaConnectionLimits } from './releases';
import { REFERENCES } from '../../core/references';

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
      `${replicas} Typha replicas on ${input.nodes} node${input.nodes === 1 ? '' : 's'}: replicas must be fewer than nodes, or a drained ` +
        `node's replica has no free node to move to (one replica per node, host port 5473); ${fix} (a relay helps above 100 nodes)`,
    );
  }
  return {
    replicas,
    uncapped,
    capped: replicas < uncapped,
    errors,
    decision: { name: 'Typha replicas', value: replicas, rule, source: [REFERENCES.ackTyphaRelay, REFERENCES.calicoTyphaScaling] },
  };
}

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
      rule:
        `${formatCount(nodes)} nodes x ${FELIX_WATCHED_RESOURCE_TYPES} resource types = ${formatCount(withoutRelay)} watches without the relay; ` +
        `${typhaReplicas} Typha replicas x ${FELIX_WATCHED_RESOURCE_TYPES} = ${formatCount(withRelay)} with it, ${formatRatio(reduction)} fewer`,
      source: [REFERENCES.ackTyphaRelay, REFERENCES.felixsyncer],
      capacity: true,
    },
  };
}

export interface TyphaHeadroomInput {
  readonly nodes: number;
  readonly replicas: number;
  /** Typha clients per node: Felix, plus confd where Calico runs BGP. */
  readonly clientsPerNode: number;
  /**
   * How the Typha release caps its connections (`typhaConnectionLimits(release)`).
   * @default - the current rule: 4 syncer types, floor 400, cap 10000
   */
  readonly limits?: TyphaConnectionLimits;
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
 * multiplier x (1 + nodes x 1.2 / (replicas - 1)), the +20% and the replica short being
 * rebalance.go's allowance for an upgrade, clamped to [lower, upper]; a lone Typha takes the upper
 * limit. The multiplier and the floor depend on the release (`typhaConnectionLimits`).
 */
export function typhaHeadroom(input: TyphaHeadroomInput): TyphaHeadroom {
  const limits = input.limits ?? typhaConnectionLimits(undefined);
  const clients = input.nodes * input.clientsPerNode;
  const perReplica = Math.ceil(clients / input.replicas);
  const perReplicaOneDown = input.replicas > 1 ? Math.ceil(clients / (input.replicas - 1)) : clients;
  const raw = input.replicas > 1 ? limits.multiplier * (1 + Math.floor((input.nodes * 120) / (input.replicas - 1) / 100)) : limits.upper;
  const limit = Math.min(limits.upper, Math.max(limits.lower, raw));
  const headroom = (limit - perReplicaOneDown) / limit;
  const candidate = `1 + ${input.nodes} x 1.2 / ${input.replicas - 1}`;
  const formula =
    input.replicas > 1
      ? `min(${limits.upper}, max(${limits.lower}, ${limits.multiplier === 1 ? candidate : `${limits.multiplier} x (${candidate})`})) = ${limit}`
      : `one replica: the upper limit ${limit}`;
  return {
    perReplica,
    perReplicaOneDown,
    limit,
    headroom,
    decision: {
      name: 'Typha connections per replica',
      value: `${formatCount(perReplica)} (${formatCount(perReplicaOneDown)} with one down)`,
      rule:
        `${formatCount(input.nodes)} nodes x ${input.clientsPerNode} client${input.clientsPerNode === 1 ? '' : 's'} / ${input.replicas} replicas; ` +
        `with one down / ${Math.max(1, input.replicas - 1)}; Typha's own limit ${formula}; headroom ${formatPercent(headroom)}`,
      source: limits.source,
      capacity: true,
      headroom: formatPercent(headroom),
    },
  };
}

/** From `nodes` nodes on (up to the next step), the ladder asks for `replicas` Typha replicas. */
export interface TyphaLadderStep {
  readonly nodes: number;
  readonly replicas: number;
}

/** Node counts the ladder covers: the profile's own limit on spec.nodes. */
export const TYPHA_LADDER_MAX_NODES = 100000;

/**
 * The static sizing rule as a cluster-proportional-autoscaler ladder (`nodesToReplicas`), so the
 * replica count follows the live node count with the same rule: for n nodes,
 * `typhaReplicas(n)` kept below n (replicas bind a host port, one per node) and at least 1 (Felix
 * waits for a Typha once it is told to use one). Only the node counts where the count changes are
 * listed; the autoscaler takes the last step at or below the live count
 * (pkg/autoscaler/controller/laddercontroller/ladder_controller.go, getExpectedReplicasFromEntries).
 */
export function typhaLadder(input: Omit<TyphaSizingInput, 'nodes' | 'replicas'> = {}): TyphaLadderStep[] {
  const nodesPerReplica = input.nodesPerReplica ?? TYPHA_DEFAULTS.nodesPerReplica;
  const maxReplicas = input.maxReplicas ?? TYPHA_DEFAULTS.maxReplicas;
  const replicasAt = (nodes: number) => Math.max(1, Math.min(typhaReplicas({ ...input, nodes }).replicas, nodes - 1));
  // Below maxReplicas + 1 nodes "fewer than nodes" may bind at every count; above it only the
  // per-replica rule moves, at k x nodesPerReplica + 1.
  const candidates = new Set<number>();
  for (let n = 1; n <= Math.min(maxReplicas + 1, TYPHA_LADDER_MAX_NODES); n++) candidates.add(n);
  for (let k = 1; k < maxReplicas && k * nodesPerReplica + 1 <= TYPHA_LADDER_MAX_NODES; k++) candidates.add(k * nodesPerReplica + 1);
  const steps: TyphaLadderStep[] = [];
  for (const nodes of [...candidates].sort((a, b) => a - b)) {
    const replicas = replicasAt(nodes);
    if (steps.length === 0 || steps[steps.length - 1].replicas !== replicas) steps.push({ nodes, replicas });
  }
  return steps;
}

/** The replicas a ladder gives at `nodes` nodes, as the autoscaler reads it. */
export function ladderReplicas(ladder: readonly TyphaLadderStep[], nodes: number): number {
  let replicas = ladder[0]?.replicas ?? 0;
  for (const step of ladder) if (step.nodes <= nodes) replicas = step.replicas;
  return replicas;
}

/**
 * The Typha replicas the Tigera operator runs for `nodes` nodes (tigera/operator
 * pkg/common/autoscale.go, GetExpectedTyphaScale): nodes / 200 + 2 in integer division, at least 3
 * from 5 nodes, 2 on 3-4 nodes, 1 on 1-2; no upper cap.
 */
export function operatorTyphaReplicas(nodes: number): Decision<number> {
  const scaled = Math.floor(nodes / 200) + 2;
  const replicas = nodes <= 2 ? 1 : nodes <= 4 ? 2 : Math.max(3, scaled);
  const rule = nodes <= 4 ? `${nodes} nodes: ${replicas} (the operator's small-cluster case)` : `max(3, floor(${nodes} / 200) + 2) = ${replicas}`;
  return { name: 'Typha replicas (run by the operator)', value: replicas, rule, source: [REFERENCES.operatorTyphaScale] };
}
