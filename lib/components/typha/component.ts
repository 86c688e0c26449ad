/** The Typha relay as a component: its rules, its sizing and review entries, its construct. */
import { ApiObject } from 'cdk8s';
import { ClusterContext } from '../../core/cluster';
import { formatCount, formatRatio } from '../../core/format';
import { error, Finding, findingsAt, warning } from '../../core/findings';
import { Ownership, setOwnership } from '../../core/rollout';
import { CALICO_NODE_SERVICE_ACCOUNT, calicoTyphaImage, parseCalicoRelease } from '../calico/facts';
import { defineComponent, ResolveRecord } from '../component';
import {
  ackTyphaImage,
  FELIX_WATCHED_RESOURCE_TYPES,
  TYPHA_AUTOSCALER_IMAGE,
  TYPHA_AUTOSCALER_POLL_SECONDS,
  TYPHA_METRICS_PORT,
  TYPHA_NAME,
  TYPHA_RELAY_DEFAULTS,
  UPSTREAM_TYPHA_IMAGE,
} from './facts';
import { typhaConnectionLimits, typhaReadsShutdownTimeout, typhaReleaseOfImage } from './releases';
import type { TyphaSpec } from './schema';
import { apiServerWatches, ladderReplicas, operatorTyphaReplicas, TyphaLadderStep, typhaHeadroom, typhaLadder, typhaReplicas } from './sizing';
import { TyphaRelay, typhaRelayProblems, TyphaRelayProps } from './typha-relay';
import { markdownCitation, REFERENCES } from '../../core/references';
import { typhaRollback, typhaVerify } from './review';

export type ResolvedTypha = TyphaRelayProps & {
  readonly replicas: number;
  /** Typha's own connection limit per replica at this size, as the review computes it (the alerts' threshold). */
  readonly connectionLimit?: number;
  /**
   * Who owns the objects: netscale alone (own); the install's Typha, which netscale sizes
   * (shared, calico-typha.yaml); netscale's, but never pruned, because calico-node keeps pointing at
   * Typha after the relay leaves git (kept, calico.yaml).
   */
  readonly ownership: Ownership;
};

export const typhaComponent = defineComponent({
  key: 'typha',
  check: checkTypha,
  resolve(section: TyphaSpec | undefined, ctx: ClusterContext, r: ResolveRecord): ResolvedTypha | undefined {
    if (ctx.networkPolicy === 'relay') {
      if (ctx.cni === 'calico' && ctx.calicoInstall === 'operator') {
        r.decisions.push(operatorTyphaReplicas(ctx.nodes));
        return undefined;
      }
      return resolveTypha(section ?? {}, ctx, r);
    }
    // Where the install already runs Typha, Felix uses it whatever networkPolicy says.
    const installRunsTypha = ctx.cni === 'calico' && (ctx.calicoInstall === 'operator' || ctx.calicoInstall === 'manifest-typha');
    if (ctx.networkPolicy === 'direct' && ctx.cni !== 'cilium' && !installRunsTypha) recordWatchesWithoutRelay(ctx.nodes, r);
    return undefined;
  },
  render(scope, resolved: ResolvedTypha) {
    const { ownership, connectionLimit: _limit, ...props } = resolved;
    const relay = new TyphaRelay(scope, 'TyphaRelay', props);
    if (ownership === 'own') return;
    for (const o of relay.node.findAll()) if (o instanceof ApiObject) setOwnership(o, ownership);
  },
});

function checkTypha(section: TyphaSpec | undefined, ctx: ClusterContext): Finding[] {
  const out: Finding[] = [];
  const manifestInstall = ctx.cni === 'calico' && (ctx.calicoInstall === 'manifest' || ctx.calicoInstall === 'manifest-typha');
  if (ctx.networkPolicy === 'relay' && manifestInstall && ctx.calicoVersion === undefined && section?.image === undefined) {
    out.push(
      error(
        ['spec', 'calico', 'version'],
        'is required with the relay on a manifest install: netscale renders Typha, which must run the installed Calico release (calico-node ' +
          'and Typha of one release; docker.io/calico/typha up to 3.30, quay.io/calico/typha from 3.31); give it, e.g. 3.30.5, or name the ' +
          'image in typha.image',
      ),
    );
  }
  if (section === undefined) return out;
  const tagged = section.image !== undefined ? typhaReleaseOfImage(section.image) : undefined;
  if (ctx.cni === 'calico' && tagged && ctx.calicoVersion !== undefined && tagged.text !== ctx.calicoVersion) {
    out.push(
      warning(
        ['spec', 'typha', 'image'],
        `runs Typha ${tagged.text} next to Calico ${ctx.calicoVersion} (calico.version): Calico ships Typha and calico-node as one release; ` +
          `use the release's own image or check the pair is supported`,
        [REFERENCES.calicoUpgrade],
      ),
    );
  }
  if (ctx.networkPolicy !== 'relay') {
    out.push(
      error(
        ['spec', 'typha'],
        `configures the Typha relay, which runs only with networkPolicy: relay (this profile ` +
          `has ${ctx.networkPolicy}): set networkPolicy: relay or remove the section`,
      ),
    );
  } else if (ctx.cni === 'calico' && ctx.calicoInstall === 'operator') {
    out.push(
      error(
        ['spec', 'typha'],
        'configures Typha, but on an operator install the Tigera operator runs and scales Typha itself (nodes / 200 + 2) and would undo any ' +
          "change: remove the section, or set Typha options in the operator's Installation",
      ),
    );
  }
  if (section.tls && ctx.cni === 'terway') {
    out.push(
      error(
        ['spec', 'typha', 'tls'],
        "Terway's eni-config has no setting for Felix's client certificate, so every Felix would be refused by a TLS-only Typha: remove tls " +
          'on Terway clusters',
      ),
    );
  }
  if (section.autoscale && section.replicas !== undefined) {
    out.push(
      error(
        ['spec', 'typha', 'autoscale'],
        `and replicas (${section.replicas}) exclude each other: the autoscaler sets the count from the live node count with nodesPerReplica, ` +
          `minReplicas and maxReplicas; remove replicas or autoscale`,
      ),
    );
  }
  if (section.autoscalerImage !== undefined && !section.autoscale) {
    out.push(error(['spec', 'typha', 'autoscalerImage'], 'applies with autoscale: true only: set autoscale or remove autoscalerImage'));
  }
  out.push(...findingsAt(['spec', 'typha'], typhaRelayProblems(section)));
  return out;
}

/** The account each platform's Typha reuses, where one exists. */
function reusedAccount(ctx: ClusterContext): { name: string; rule: string } | undefined {
  if (ctx.cni === 'calico' && (ctx.calicoInstall === 'manifest' || ctx.calicoInstall === 'manifest-typha')) {
    // charts/calico/templates/calico-typha.yaml: serviceAccountName: calico-node.
    return {
      name: CALICO_NODE_SERVICE_ACCOUNT,
      rule:
        "Calico's manifests run Typha as calico-node's ServiceAccount, so its rights are always those of the installed release's " +
        'calico-node ClusterRole',
    };
  }
  if (ctx.platform === 'ack' && ctx.cni === 'terway') return { name: 'terway', rule: "ACK: reuse Terway's account, which can read what Felix reads" };
  return undefined;
}

function resolveTypha(t: TyphaSpec, ctx: ClusterContext, r: ResolveRecord): ResolvedTypha {
  const sizing = typhaReplicas({ nodes: ctx.nodes, ...t });
  for (const message of sizing.errors) r.findings.push(error(['spec', 'typha', ...(t.replicas !== undefined ? ['replicas'] : [])], message));
  if (sizing.capped) {
    r.findings.push(
      warning(
        ['spec', 'nodes'],
        `${ctx.nodes} nodes ask for ${sizing.uncapped} Typha replicas; capped at ` +
          `maxReplicas ${sizing.replicas} (${Math.ceil(ctx.nodes / sizing.replicas)} nodes per replica)`,
        [REFERENCES.calicoTyphaScaling],
      ),
    );
  }
  r.decisions.push(sizing.decision);
  const onAck = ctx.platform === 'ack';
  // ACK's Typha build serves Terway's Felix; a self-installed Calico gets its own release's Typha.
  const ackTerway = onAck && ctx.cni === 'terway';
  const calicoRelease = ctx.cni === 'calico' && ctx.calicoVersion !== undefined ? parseCalicoRelease(ctx.calicoVersion) : undefined;
  const image = t.image ?? (ackTerway ? ackTyphaImage(ctx.region ?? '') : calicoRelease ? calicoTyphaImage(calicoRelease) : UPSTREAM_TYPHA_IMAGE);
  // The image's own tag says which release runs; an untagged image runs the cluster's release.
  const release = typhaReleaseOfImage(image) ?? calicoRelease;
  r.decisions.push({
    name: 'Typha image',
    value: image,
    rule: t.image
      ? 'set in the profile'
      : ackTerway
        ? `ACK VPC registry of ${ctx.region}, pinned tag`
        : calicoRelease
          ? `Calico's own Typha of the installed release (calico.version ${calicoRelease.text})`
          : 'upstream Calico Typha, pinned',
    source: calicoRelease && !t.image ? [REFERENCES.calicoTyphaManifest] : undefined,
  });
  const reused = reusedAccount(ctx);
  const serviceAccountName = t.serviceAccountName ?? reused?.name ?? TYPHA_NAME;
  const createRbac = serviceAccountName !== reused?.name;
  if (t.tls) {
    const client = t.tls.clientCommonName ? `common name ${t.tls.clientCommonName}` : `URI SAN ${t.tls.clientUriSan}`;
    r.steps.push(
      `Before the sync, give calico-node its Typha client certificate, or a TLS-only Typha refuses every Felix: mount a Secret with a ` +
        `certificate for ${client}, signed by the ` +
        `CA in ${t.tls.caConfigMapName}, and set FELIX_TYPHACAFILE, FELIX_TYPHACERTFILE and FELIX_TYPHAKEYFILE on the calico-node DaemonSet, plus ` +
        `FELIX_TYPHACN or FELIX_TYPHAURISAN to the name in Typha's server certificate (Secret ${t.tls.secretName}).`,
    );
  }
  if (ackTerway)
    r.steps.push(
      `Before the sync, upgrade the Terway add-on to its latest version in the ACK console: older Terway releases do not read ` +
        `felix_relay_service (${markdownCitation([REFERENCES.ackTyphaRelay])}).`,
    );
  r.decisions.push({
    name: 'Typha service account',
    value: serviceAccountName,
    rule: !createRbac
      ? reused!.rule
      : t.serviceAccountName
        ? `set in the profile; netscale creates it with the ClusterRole of ` +
          `Typha ${release ? release.text : '(newest rules: the image has no release tag)'}`
        : `own account with the ClusterRole of Typha ${release?.text ?? '(newest rules)'}`,
    source: !createRbac ? undefined : [REFERENCES.operatorTyphaRole],
  });
  r.decisions.push({
    name: 'Typha rollout',
    value: 'maxSurge 100%, maxUnavailable 1',
    rule:
      'a whole new set of replicas starts beside the old one, so each Felix moves from an old replica straight to a new one; where no ' +
      'node is free for a new replica, one old replica at a time makes room',
    source: [REFERENCES.calicoTyphaManifest],
  });
  if (!typhaReadsShutdownTimeout(release)) {
    r.decisions.push({
      name: 'TYPHA_SHUTDOWNTIMEOUTSECS',
      value: 'not rendered',
      rule:
        `Typha ${release!.text} does not read it (added in 3.25): on shutdown it drops its connections at once and each Felix reconnects ` +
        `to another replica; the pod's grace period stays`,
      source: [REFERENCES.typha358Config],
    });
    if (t.shutdownTimeoutSeconds !== undefined) {
      r.findings.push(
        warning(
          ['spec', 'typha', 'shutdownTimeoutSeconds'],
          `is ignored by ` +
            `Typha ${release!.text}, which has no graceful shutdown (TYPHA_SHUTDOWNTIMEOUTSECS exists from 3.25): netscale renders only the pod's ` +
            `termination grace period`,
          [REFERENCES.typha358Config],
        ),
      );
    }
  }
  let connectionLimit: number | undefined;
  if (sizing.errors.length === 0) {
    r.decisions.push(apiServerWatches(ctx.nodes, sizing.replicas).decision);
    // Felix on every node, and confd too where calico-node runs BGP.
    const clientsPerNode = ctx.cni === 'calico' ? 2 : 1;
    const headroom = typhaHeadroom({ nodes: ctx.nodes, replicas: sizing.replicas, clientsPerNode, limits: typhaConnectionLimits(release) });
    r.decisions.push(headroom.decision);
    connectionLimit = headroom.limit;
  }
  const ladder = t.autoscale && sizing.errors.length === 0 ? resolveAutoscale(t, ctx, sizing.replicas, r) : undefined;
  // Felix is pointed at Typha only once every new replica is Ready (calico-typha.yaml: maxSurge 100%).
  const ownership =
    ctx.cni === 'calico' && ctx.calicoInstall === 'manifest-typha'
      ? 'shared'
      : ctx.cni === 'calico' && ctx.calicoInstall === 'manifest'
        ? 'kept'
        : 'own';
  const reviewInput = {
    replicas: sizing.replicas,
    clientsPerNode: ctx.cni === 'calico' ? 2 : 1,
    connectionLimit,
    metrics: ctx.monitoring === true,
    ownership,
  } as const;
  r.verify.push(...typhaVerify(ctx, reviewInput));
  r.rollback.push(typhaRollback(reviewInput));
  r.waits.push({
    kind: 'Deployment',
    name: TYPHA_NAME,
    namespace: TYPHA_RELAY_DEFAULTS.namespace,
    why: 'Typha is ready before Felix is pointed at it',
    surgeReplicas: sizing.replicas,
    after: 'dataplane',
  });
  return {
    connectionLimit,
    metricsPort: ctx.monitoring ? TYPHA_METRICS_PORT : undefined,
    autoscale: ladder ? { ladder, image: t.autoscalerImage ?? TYPHA_AUTOSCALER_IMAGE } : undefined,
    replicas: sizing.replicas,
    image,
    calicoVersion: release?.text,
    serviceAccountName,
    createRbac,
    bgpPeerCrd: t.bgpPeerCrd ?? ackTerway,
    avoidVirtualKubelet: onAck,
    logSeverity: t.logSeverity,
    shutdownTimeoutSeconds: t.shutdownTimeoutSeconds,
    cpuRequest: t.resources?.cpu,
    memoryRequest: t.resources?.memory,
    tls: t.tls,
    ownership,
  };
}

/** The autoscaler's ladder, from the same rule as the static count, and what the review says of it. */
function resolveAutoscale(t: TyphaSpec, ctx: ClusterContext, replicas: number, r: ResolveRecord): TyphaLadderStep[] {
  const ladder = typhaLadder(t);
  // One rule: where the profile is valid, the ladder at spec.nodes is the static count.
  if (ladderReplicas(ladder, ctx.nodes) !== replicas)
    throw new Error(`Typha ladder gives ${ladderReplicas(ladder, ctx.nodes)} at ${ctx.nodes} nodes, the static rule ${replicas}`);
  const changes = ladder.slice(1).map((s) => formatCount(s.nodes));
  r.decisions.push({
    name: 'Typha autoscaling',
    value: `${ladder[0].replicas} to ${ladder[ladder.length - 1].replicas} replicas`,
    rule:
      `cluster-proportional-autoscaler ladder from the sizing rule (kept below the node count, at least 1), applied ` +
      `every ${TYPHA_AUTOSCALER_POLL_SECONDS} s to the live node count; it ` +
      `changes at ${changes.join(', ')} nodes; Typha starts at ${replicas}, the ladder at ${formatCount(ctx.nodes)} nodes`,
    source: [REFERENCES.clusterProportionalAutoscaler],
  });
  if (ctx.platform === 'ack' && t.autoscalerImage === undefined) {
    r.steps.push(
      `Before the sync, check that the nodes can ` +
        `pull ${TYPHA_AUTOSCALER_IMAGE}: registry.k8s.io may be out of reach from an ACK VPC in mainland China; mirror it and set ` +
        `spec.typha.autoscalerImage if not.`,
    );
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
    rule:
      `${formatCount(nodes)} nodes x ${FELIX_WATCHED_RESOURCE_TYPES} resource types = ${formatCount(w.withoutRelay)} watches; the relay ` +
      `(networkPolicy: relay) would cut ` +
      `them to ${wouldBe.replicas} Typha replicas x ${FELIX_WATCHED_RESOURCE_TYPES} = ${formatCount(w.withRelay)}, ${formatRatio(w.reduction)} fewer`,
  });
}
