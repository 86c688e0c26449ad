/** The Typha relay as a component: its rules, its sizing and review entries, its construct. */
import { ClusterContext } from '../../core/cluster';
import { formatCount } from '../../core/format';
import { error, Finding, findingsAt, warning } from '../../core/findings';
import { defineComponent, ResolveRecord } from '../component';
import { ackTyphaImage, FELIX_WATCHED_RESOURCE_TYPES, TYPHA_AUTOSCALER_IMAGE, TYPHA_AUTOSCALER_POLL_SECONDS, TYPHA_METRICS_PORT, TYPHA_NAME, UPSTREAM_TYPHA_IMAGE } from './facts';
import type { TyphaSpec } from './schema';
import { apiServerWatches, ladderReplicas, TyphaLadderStep, typhaHeadroom, typhaLadder, typhaReplicas } from './sizing';
import { TyphaRelay, typhaRelayProblems, TyphaRelayProps } from './typha-relay';

export type ResolvedTypha = TyphaRelayProps & {
  readonly replicas: number;
  /** Typha's own connection limit per replica at this size, as the review computes it (the alerts' threshold). */
  readonly connectionLimit?: number;
};

export const typhaComponent = defineComponent({
  key: 'typha',
  check: checkTypha,
  resolve(section: TyphaSpec | undefined, ctx: ClusterContext, r: ResolveRecord): ResolvedTypha | undefined {
    if (ctx.networkPolicy === 'relay') return resolveTypha(section ?? {}, ctx, r);
    if (ctx.networkPolicy === 'direct' && ctx.cni !== 'cilium') recordWatchesWithoutRelay(ctx.nodes, r);
    return undefined;
  },
  render(scope, resolved: ResolvedTypha) {
    new TyphaRelay(scope, 'TyphaRelay', resolved);
  },
});

function checkTypha(section: TyphaSpec | undefined, ctx: ClusterContext): Finding[] {
  if (section === undefined) return [];
  const out: Finding[] = [];
  if (ctx.networkPolicy !== 'relay') {
    out.push(error(['spec', 'typha'], `configures the Typha relay, which runs only with networkPolicy: relay (this profile has ${ctx.networkPolicy}): set networkPolicy: relay or remove the section`));
  }
  if (section.tls && ctx.cni === 'terway') {
    out.push(error(['spec', 'typha', 'tls'], 'Terway\'s eni-config has no setting for Felix\'s client certificate, so every Felix would be refused by a TLS-only Typha: remove tls on Terway clusters'));
  }
  if (section.autoscale && section.replicas !== undefined) {
    out.push(error(['spec', 'typha', 'autoscale'], `and replicas (${section.replicas}) exclude each other: the autoscaler sets the count from the live node count with nodesPerReplica, minReplicas and maxReplicas; remove replicas or autoscale`));
  }
  if (section.autoscalerImage !== undefined && !section.autoscale) {
    out.push(error(['spec', 'typha', 'autoscalerImage'], 'applies with autoscale: true only: set autoscale or remove autoscalerImage'));
  }
  out.push(...findingsAt(['spec', 'typha'], typhaRelayProblems(section)));
  return out;
}

function resolveTypha(t: TyphaSpec, ctx: ClusterContext, r: ResolveRecord): ResolvedTypha {
  const sizing = typhaReplicas({ nodes: ctx.nodes, ...t });
  for (const message of sizing.errors) r.findings.push(error(['spec', 'typha', ...(t.replicas !== undefined ? ['replicas'] : [])], message));
  if (sizing.capped) {
    r.findings.push(
      warning(['spec', 'nodes'], `${ctx.nodes} nodes ask for ${sizing.uncapped} Typha replicas; capped at maxReplicas ${sizing.replicas} (${Math.ceil(ctx.nodes / sizing.replicas)} nodes per replica)`, 'Calico: at most 20 Typha replicas'),
    );
  }
  r.decisions.push(sizing.decision);
  const onAck = ctx.platform === 'ack';
  const image = t.image ?? (onAck ? ackTyphaImage(ctx.region ?? '') : UPSTREAM_TYPHA_IMAGE);
  r.decisions.push({ name: 'Typha image', value: image, rule: t.image ? 'set in the profile' : onAck ? `ACK VPC registry of ${ctx.region}, pinned tag` : 'upstream Calico Typha, pinned' });
  const serviceAccountName = t.serviceAccountName ?? (onAck ? 'terway' : TYPHA_NAME);
  if (t.tls) {
    const client = t.tls.clientCommonName ? `common name ${t.tls.clientCommonName}` : `URI SAN ${t.tls.clientUriSan}`;
    r.steps.push(
      `Before the sync, give calico-node its Typha client certificate, or a TLS-only Typha refuses every Felix: mount a Secret with a certificate for ${client}, signed by the CA in ${t.tls.caConfigMapName}, and set FELIX_TYPHACAFILE, FELIX_TYPHACERTFILE and FELIX_TYPHAKEYFILE on the calico-node DaemonSet, plus FELIX_TYPHACN or FELIX_TYPHAURISAN to the name in Typha's server certificate (Secret ${t.tls.secretName}).`,
    );
  }
  if (onAck) r.steps.push('Before the sync, upgrade the Terway add-on to its latest version in the ACK console: older Terway releases do not read felix_relay_service (seeds 000/001).');
  r.decisions.push({ name: 'Typha service account', value: serviceAccountName, rule: onAck ? 'ACK: reuse Terway\'s account, which can read what Felix reads' : 'own account with the ClusterRole Typha needs' });
  let connectionLimit: number | undefined;
  if (sizing.errors.length === 0) {
    r.decisions.push(apiServerWatches(ctx.nodes, sizing.replicas).decision);
    // Felix on every node, and confd too where calico-node runs BGP; the ACK build predates the fourth syncer type.
    const clientsPerNode = ctx.cni === 'calico' ? 2 : 1;
    const headroom = typhaHeadroom({ nodes: ctx.nodes, replicas: sizing.replicas, clientsPerNode, syncerTypes: image === ackTyphaImage(ctx.region ?? '') ? 3 : 4 });
    r.decisions.push(headroom.decision);
    connectionLimit = headroom.limit;
  }
  const ladder = t.autoscale && sizing.errors.length === 0 ? resolveAutoscale(t, ctx, sizing.replicas, r) : undefined;
  return {
    connectionLimit,
    metricsPort: ctx.monitoring ? TYPHA_METRICS_PORT : undefined,
    autoscale: ladder ? { ladder, image: t.autoscalerImage ?? TYPHA_AUTOSCALER_IMAGE } : undefined,
    replicas: sizing.replicas,
    image,
    serviceAccountName,
    createRbac: !onAck || t.serviceAccountName !== undefined,
    bgpPeerCrd: t.bgpPeerCrd ?? onAck,
    logSeverity: t.logSeverity,
    shutdownTimeoutSeconds: t.shutdownTimeoutSeconds,
    cpuRequest: t.resources?.cpu,
    memoryRequest: t.resources?.memory,
    tls: t.tls,
  };
}

/** The autoscaler's ladder, from the same rule as the static count, and what the review says of it. */
function resolveAutoscale(t: TyphaSpec, ctx: ClusterContext, replicas: number, r: ResolveRecord): TyphaLadderStep[] {
  const ladder = typhaLadder(t);
  // One rule: where the profile is valid, the ladder at spec.nodes is the static count.
  if (ladderReplicas(ladder, ctx.nodes) !== replicas) throw new Error(`Typha ladder gives ${ladderReplicas(ladder, ctx.nodes)} at ${ctx.nodes} nodes, the static rule ${replicas}`);
  const changes = ladder.slice(1).map((s) => formatCount(s.nodes));
  r.decisions.push({
    name: 'Typha autoscaling',
    value: `${ladder[0].replicas} to ${ladder[ladder.length - 1].replicas} replicas`,
    rule: `cluster-proportional-autoscaler ladder from the sizing rule (kept below the node count, at least 1), applied every ${TYPHA_AUTOSCALER_POLL_SECONDS} s to the live node count; it changes at ${changes.join(', ')} nodes; Typha starts at ${replicas}, the ladder at ${formatCount(ctx.nodes)} nodes`,
    source: 'kubernetes-sigs/cluster-proportional-autoscaler ladder mode',
  });
  if (ctx.platform === 'ack' && t.autoscalerImage === undefined) {
    r.steps.push(`Before the sync, check that the nodes can pull ${TYPHA_AUTOSCALER_IMAGE}: registry.k8s.io may be out of reach from an ACK VPC in mainland China; mirror it and set spec.typha.autoscalerImage if not.`);
  }
  return ladder;
}

/** What the relay would change, so a reviewer of a direct profile sees the cost of staying direct. */
function recordWatchesWithoutRelay(nodes: number, r: ResolveRecord): void {
  const wouldBe = typhaReplicas({ nodes });
  if (wouldBe.errors.length > 0) return;
  const w = apiServerWatches(nodes, wouldBe.replicas);
  r.decisions.push({
    ...w.decision,
    value: formatCount(w.withoutRelay),
    rule: `${formatCount(nodes)} nodes x ${FELIX_WATCHED_RESOURCE_TYPES} resource types = ${formatCount(w.withoutRelay)} watches; the relay (networkPolicy: relay) would cut them to ${wouldBe.replicas} Typha replicas x ${FELIX_WATCHED_RESOURCE_TYPES} = ${formatCount(w.withRelay)}, ${w.reduction}x fewer`,
  });
}
