/** Calico as a component: pools, MTUs and BGP (CalicoNetwork), and pointing calico-node at Typha. */
import { ClusterContext } from '../../core/cluster';
import { error, Finding, warning } from '../../core/findings';
import { defineComponent, ResolveRecord } from '../component';
import { TYPHA_NAME } from '../typha/facts';
import { CalicoNetwork, CalicoNetworkProps } from './calico-network';
import { CalicoNodeTyphaEnv } from './calico-node-typha-env';
import { CalicoTyphaConfig } from './calico-typha-config';
import {
  CALICO_DEFAULT_BLOCK_SIZE,
  CALICO_INSTALL_MEANING,
  CalicoRelease,
  felixNftablesModeFor,
  FelixNftablesMode,
  knownCalicoRelease,
  NEWEST_KNOWN_CALICO_SERIES,
  NFTABLES_MODE_SINCE,
  parseCalicoRelease,
  releaseAtLeast,
  CALICO_IP_POOL_DEFAULTS,
  CALICO_NODE_CONTAINER,
  CALICO_NODE_DAEMONSET,
  CALICO_NODE_MAX_UNAVAILABLE,
  FELIX_TYPHA_SERVICE_ENV,
  TYPHA_ADVISED_ABOVE_NODES,
} from './facts';
import { calicoTunnelMtus } from './mtu';
import { checkCalico, MIGRATE_POOLS_GUIDE } from './rules';
import type { CalicoSpec } from './schema';
import { calicoChanges, calicoRollback, calicoVerify } from './review';
import { calicoPoolLabelSteps, calicoRouteReflectorSteps } from './steps';
import { REFERENCES } from '../../core/references';

export interface ResolvedCalico {
  /** Pools, MTUs and BGP, where the profile has a calico section. */
  readonly network?: CalicoNetworkProps;
  /** calico-typha.yaml with the relay: calico-config points calico-node at this Typha Service. */
  readonly typhaService?: string;
  /** calico.yaml with the relay: calico-node gets FELIX_TYPHAK8SSERVICENAME naming this Service. */
  readonly typhaEnv?: string;
}

export const calicoComponent = defineComponent({
  key: 'calico',
  // BGPConfiguration turns the node mesh off: only once the reflector peerings exist. The
  // calico-node env entry points Felix at Typha: only once Typha is ready.
  phases: { ConfigMap: 'switch', BGPConfiguration: 'switch', DaemonSet: 'switch' },
  check(section: CalicoSpec | undefined, ctx: ClusterContext): Finding[] {
    const out: Finding[] = [];
    if (ctx.cni === 'calico' && ctx.networkPolicy === 'disabled') {
      out.push(
        error(
          ['spec', 'networkPolicy'],
          'disabled applies to Terway only (its disable_network_policy key); Calico always enforces NetworkPolicy: use relay or direct',
        ),
      );
    }
    if (ctx.cni === 'calico') out.push(...checkTyphaPath(section, ctx), ...checkNftables(section, ctx));
    if (section === undefined) return out;
    if (ctx.cni !== 'calico')
      out.push(error(['spec', 'calico'], `configures Calico, but the profile's cni is ${ctx.cni}: set cni: calico or remove the section`));
    else
      out.push(
        ...checkCalico(section, {
          serviceCidr: ctx.serviceCidr,
          clusterCidr: ctx.clusterCidr,
          nodes: ctx.nodes,
          existingPools: ctx.previous?.ipPools,
        }),
      );
    if (section.bgp?.routeReflectors && ctx.argocd) {
      out.push(
        warning(
          ['spec', 'calico', 'bgp', 'routeReflectors'],
          "Argo CD turns the node-to-node mesh off in the last wave of the sync: label and patch the reflector nodes (the review's commands) " +
            'before merging, or every cross-node route drops',
          [REFERENCES.calicoBgp],
        ),
      );
    }
    return out;
  },
  resolve(section: CalicoSpec | undefined, ctx: ClusterContext, r: ResolveRecord): ResolvedCalico | undefined {
    if (ctx.cni !== 'calico') return undefined;
    if (section?.install) {
      r.decisions.push({
        name: 'Calico install',
        value: section.install,
        rule: `assumed as the profile says: ${CALICO_INSTALL_MEANING[section.install]}`,
        source: [REFERENCES.calicoManifest, REFERENCES.calicoTyphaManifest, REFERENCES.operatorNode],
      });
    }
    const nftablesMode = resolveNftablesMode(section, ctx, r);
    const network = section && hasNetwork(section) ? resolveNetwork(section, r, nftablesMode) : nftablesMode ? { nftablesMode } : undefined;
    let typhaService: string | undefined;
    let typhaEnv: string | undefined;
    if (ctx.networkPolicy === 'relay') {
      if (ctx.calicoInstall === 'manifest') typhaEnv = pointFelixAtTypha(r);
      else if (ctx.calicoInstall === 'manifest-typha') typhaService = pointCalicoAtTypha(r);
      else if (ctx.calicoInstall === 'operator') {
        r.decisions.push({
          name: 'Typha and calico-config',
          value: 'not rendered',
          rule:
            'the Tigera operator runs Typha in calico-system, sizes it to the nodes and points calico-node at it ' +
            '(FELIX_TYPHAK8SSERVICENAME); anything netscale rendered would be undone or ignored',
          source: [REFERENCES.operatorNode, REFERENCES.operatorTyphaScale],
        });
      }
    }
    if (!(network || typhaService || typhaEnv)) return undefined;
    const resolved = { network, typhaService, typhaEnv };
    r.changes.push(...calicoChanges(resolved, r.decisions));
    r.verify.push(...calicoVerify(resolved));
    r.rollback.push(...calicoRollback(resolved));
    return resolved;
  },
  render(scope, resolved: ResolvedCalico) {
    if (resolved.network) new CalicoNetwork(scope, 'CalicoNetwork', resolved.network);
    if (resolved.typhaService) new CalicoTyphaConfig(scope, 'CalicoTyphaConfig', { serviceName: resolved.typhaService });
    if (resolved.typhaEnv) new CalicoNodeTyphaEnv(scope, 'CalicoNodeTyphaEnv', { serviceName: resolved.typhaEnv });
  },
});

/** How Felix reaches the API server here, against what the install method allows and Calico advises. */
function checkTyphaPath(section: CalicoSpec | undefined, ctx: ClusterContext): Finding[] {
  const out: Finding[] = [];
  const install = section?.install;
  if (ctx.networkPolicy === 'relay' && install === undefined) {
    out.push(
      error(
        ['spec', 'calico', 'install'],
        `is required with networkPolicy: relay, because how Felix finds Typha depends on how Calico was ` +
          `installed: ${(['manifest', 'manifest-typha', 'operator'] as const).map((i) => `${i} (${CALICO_INSTALL_MEANING[i]})`).join('; ')}`,
      ),
    );
  }
  const installRunsTypha = install === 'manifest-typha' || install === 'operator';
  if (ctx.networkPolicy === 'direct' && installRunsTypha) {
    out.push(
      warning(
        ['spec', 'networkPolicy'],
        `direct, but a ${install} install runs Typha and calico-node already uses it: Felix reaches the API server through Typha either way; ` +
          `say relay so the review shows it`,
      ),
    );
  }
  if (ctx.networkPolicy !== 'relay' && !installRunsTypha && ctx.nodes > TYPHA_ADVISED_ABOVE_NODES) {
    out.push(
      warning(
        ['spec', 'networkPolicy'],
        `${ctx.networkPolicy} on ${ctx.nodes} nodes: every node's Felix watches the API server; ` +
          `above ${TYPHA_ADVISED_ABOVE_NODES} nodes Calico advises Typha (networkPolicy: relay), and above 100 it is essential`,
        [REFERENCES.calicoTyphaScaling],
      ),
    );
  }
  return out;
}

function hasNetwork(c: CalicoSpec): boolean {
  return c.ipPools !== undefined || c.mtu !== undefined || c.wireguard !== undefined || c.bgp !== undefined;
}

function resolveNetwork(c: CalicoSpec, r: ResolveRecord, nftablesMode: FelixNftablesMode | undefined): CalicoNetworkProps {
  const props: CalicoNetworkProps = { ipPools: c.ipPools, mtu: c.mtu, wireguard: c.wireguard, bgp: c.bgp, nftablesMode };
  r.decisions.push({
    name: 'Underlay MTU',
    value: c.mtu ?? 'auto',
    rule: c.mtu ? 'set in the profile' : "not set: no MTU field is rendered, and Felix derives each tunnel MTU from the host interface's MTU",
  });
  r.decisions.push(...calicoTunnelMtus(props).decisions);
  const pools = c.ipPools ?? [];
  const sizes = [...new Set(pools.map((p) => p.blockSize ?? CALICO_DEFAULT_BLOCK_SIZE[p.cidr.includes(':') ? 6 : 4]))];
  if (sizes.length === 1)
    r.decisions.push({
      name: 'IP pool blockSize',
      value: sizes[0],
      rule: 'one block size in every pool, so routes aggregate per pool',
      source: [REFERENCES.calicoIpPool],
    });
  if (pools.length > 0) {
    r.steps.push(
      `Before the sync, compare the pools with the cluster's: \`calicoctl get ippool -o wide\`. Calico cannot change the cidr or blockSize ` +
        `of an existing pool; netscale refuses such a change against dist/, but not against a pool made outside netscale under the same ` +
        `name (${pools.map((p) => p.name).join(', ')}). To move a pool: add one under a new name, set the old one disabled: true, recreate ` +
        `the pods that still hold its addresses, check new pods get addresses from the new pool, then delete the old one (${MIGRATE_POOLS_GUIDE}).`,
    );
  }
  r.steps.push(
    ...calicoPoolLabelSteps(
      pools.filter((p) => (p.nodeSelector ?? CALICO_IP_POOL_DEFAULTS.nodeSelector).trim() !== CALICO_IP_POOL_DEFAULTS.nodeSelector),
    ),
  );
  if (c.bgp?.routeReflectors) {
    r.decisions.push({
      name: 'BGP node-to-node mesh',
      value: 'off',
      rule: 'route reflectors replace the full mesh (n x (n - 1) / 2 sessions)',
      source: [REFERENCES.calicoBgp],
    });
    r.steps.push(...calicoRouteReflectorSteps(c.bgp.routeReflectors));
  }
  return props;
}

/** calico-typha.yaml: calico-config names Typha, and calico-node restarts to read it. */
function pointCalicoAtTypha(r: ResolveRecord): string {
  r.restarts.push({
    daemonSet: CALICO_NODE_DAEMONSET,
    namespace: 'kube-system',
    configuration: JSON.stringify({ typha_service_name: TYPHA_NAME }),
    why: 'calico-node reads typha_service_name from calico-config only when it starts',
    maxUnavailable: CALICO_NODE_MAX_UNAVAILABLE,
  });
  return TYPHA_NAME;
}

/** calico.yaml: one env entry on calico-node, whose rollout is the restart. */
function pointFelixAtTypha(r: ResolveRecord): string {
  r.decisions.push({
    name: 'Felix to Typha',
    value: `${FELIX_TYPHA_SERVICE_ENV}=${TYPHA_NAME}`,
    rule:
      `calico.yaml gives calico-node no ${FELIX_TYPHA_SERVICE_ENV}, and Felix reads it from its environment only: a partial ` +
      `DaemonSet ${CALICO_NODE_DAEMONSET} adds that one entry to container ${CALICO_NODE_CONTAINER}, applied server-side`,
    source: [REFERENCES.calicoManifest, REFERENCES.felixConfigParams],
  });
  r.waits.push({
    kind: 'DaemonSet',
    name: CALICO_NODE_DAEMONSET,
    namespace: 'kube-system',
    why: `its pod template gains ${FELIX_TYPHA_SERVICE_ENV}, so each node's Felix moves to Typha as its pod restarts`,
    maxUnavailable: CALICO_NODE_MAX_UNAVAILABLE,
    after: 'switch',
  });
  r.notes.push(
    `Felix switch on a calico.yaml install: DaemonSet \`${CALICO_NODE_DAEMONSET}\` in this folder holds only the env ` +
      `entry \`${FELIX_TYPHA_SERVICE_ENV}=${TYPHA_NAME}\`, merged into the existing DaemonSet by server-side apply once Typha is ready. The pod ` +
      `template changes, so calico-node rolls once, ${CALICO_NODE_MAX_UNAVAILABLE} node at a time (Calico's manifests set ` +
      `maxUnavailable ${CALICO_NODE_MAX_UNAVAILABLE}): each node's Felix moves to Typha when its pod restarts and watches the API server until ` +
      `then. Nothing deletes calico-node: the object is never pruned.`,
    '',
    `To turn the relay off later, take Felix off Typha first, then remove Typha: \`kubectl -n kube-system set ` +
      `env ds/${CALICO_NODE_DAEMONSET} -c ${CALICO_NODE_CONTAINER} ${FELIX_TYPHA_SERVICE_ENV}-\`, wait for \`kubectl -n kube-system rollout ` +
      `status ds/${CALICO_NODE_DAEMONSET}\`, then \`kubectl -n kube-system delete ` +
      `deployment,service,poddisruptionbudget ${TYPHA_NAME}\`. netscale never prunes either: a Felix told to use Typha does not start while ` +
      `Typha is gone.`,
  );
  return TYPHA_NAME;
}

/**
 * Felix must program nftables where kube-proxy does (docs.tigera.io calico getting-started
 * kubernetes/nftables: "your cluster's kube-proxy must also be in nftables mode", and the reverse:
 * Felix in iptables mode next to kube-proxy's nftables rules disagrees with them). How depends on
 * the release: FelixConfiguration nftablesMode Enabled from 3.29, Auto from 3.32.
 */
function checkNftables(section: CalicoSpec | undefined, ctx: ClusterContext): Finding[] {
  const out: Finding[] = [];
  const at = (...p: string[]) => ['spec', 'calico', ...p];
  const release = section?.version !== undefined ? parseCalicoRelease(section.version) : undefined;
  if (release && !knownCalicoRelease(release)) {
    out.push(
      warning(
        at('version'),
        `${release.text} is newer than the Calico releases netscale has read ` +
          `(up to ${NEWEST_KNOWN_CALICO_SERIES}): their Typha RBAC, image registry and nftablesMode are assumed for it`,
      ),
    );
  }
  const nftables = ctx.kubeProxyMode === 'nftables';
  const override = section?.nftablesMode;
  if (ctx.calicoInstall === 'operator') {
    if (override !== undefined)
      out.push(
        error(
          at('nftablesMode'),
          "is written by the Tigera operator on an operator install (from the Installation's calicoNetwork.linuxDataplane) and would be " +
            'undone: remove it',
        ),
      );
    if (nftables && release && !releaseAtLeast(release, NFTABLES_MODE_SINCE.switch)) {
      out.push(
        error(
          at('version'),
          `${release.text} has no nftables data plane (FelixConfiguration nftablesMode ` +
            `arrives in ${NFTABLES_MODE_SINCE.switch}): upgrade Calico before kubeProxy.mode: nftables`,
        ),
      );
    }
    return out;
  }
  if (!nftables && override === undefined) return out;
  if (release === undefined) {
    out.push(
      error(
        at('version'),
        `is required ${nftables ? 'with kubeProxy.mode: nftables' : 'with calico.nftablesMode'}: Felix must program nftables where ` +
          `kube-proxy does, and how depends on the Calico release (nftablesMode Enabled ` +
          `from ${NFTABLES_MODE_SINCE.switch}, Auto from ${NFTABLES_MODE_SINCE.auto}); give the installed release, e.g. 3.30.5`,
      ),
    );
    return out;
  }
  if (!releaseAtLeast(release, NFTABLES_MODE_SINCE.switch)) {
    out.push(
      error(
        at('version'),
        `${release.text} has no nftables data plane: its Felix keeps programming iptables next to kube-proxy's nftables rules; upgrade ` +
          `Calico to ${NFTABLES_MODE_SINCE.switch} or newer (${NFTABLES_MODE_SINCE.auto} or newer for Auto, which switches node by node) ` +
          `before ${nftables ? 'kubeProxy.mode: nftables' : 'setting nftablesMode'}`,
      ),
    );
    return out;
  }
  if (override === 'Auto' && !releaseAtLeast(release, NFTABLES_MODE_SINCE.auto)) {
    out.push(
      error(
        at('nftablesMode'),
        `Auto needs Calico ${NFTABLES_MODE_SINCE.auto} or newer: the ` +
          `Felix of ${release.text} replaces Auto with Disabled and keeps iptables (felix/config/config_params.go: oneof(Enabled,Disabled)); ` +
          `use Enabled`,
      ),
    );
  }
  if (override === 'Disabled' && nftables) {
    out.push(
      error(
        at('nftablesMode'),
        'Disabled keeps Felix on iptables while kube-proxy programs nftables, the combination Calico does not support: use Enabled, or Auto ' +
          'from 3.32, or leave it out',
      ),
    );
  }
  if (override === 'Enabled' && !nftables) {
    out.push(
      warning(
        at('nftablesMode'),
        `Enabled while kube-proxy ` +
          `runs ${ctx.kubeProxyMode ?? 'its current mode'}: Felix programs nftables and kube-proxy does not; keep it only while kube-proxy ` +
          `rolls back, then remove it`,
        [REFERENCES.calicoNftables],
      ),
    );
  }
  return out;
}

/** The nftablesMode netscale renders: the profile's override, else what the release supports with kube-proxy nftables. */
function resolveNftablesMode(section: CalicoSpec | undefined, ctx: ClusterContext, r: ResolveRecord): FelixNftablesMode | undefined {
  const release = section?.version !== undefined ? parseCalicoRelease(section.version) : undefined;
  const nftables = ctx.kubeProxyMode === 'nftables';
  if (ctx.calicoInstall === 'operator') {
    if (nftables) {
      r.steps.push(
        'Before the sync, switch Calico first: on an operator install the operator owns FelixConfiguration nftablesMode. Set the ' +
          "Installation's data plane with `kubectl patch installation default --type=merge -p " +
          '\'{"spec":{"calicoNetwork":{"linuxDataplane":"Nftables"}}}\'`; the operator writes nftablesMode (Enabled before Calico 3.32, Auto ' +
          'from 3.32) and rolls calico-node: wait for `kubectl -n calico-system rollout status ds/calico-node`.',
      );
    }
    return undefined;
  }
  if (!release || !releaseAtLeast(release, NFTABLES_MODE_SINCE.switch)) return undefined;
  const mode = section?.nftablesMode ?? (nftables ? felixNftablesModeFor(release) : undefined);
  if (mode === undefined) return undefined;
  r.decisions.push({
    name: 'Felix nftablesMode',
    value: mode,
    rule: section?.nftablesMode ? 'set in the profile' : nftablesModeRule(release, mode),
    source: [REFERENCES.felixConfigParams, REFERENCES.calicoFelixConfiguration],
  });
  return mode;
}

function nftablesModeRule(release: CalicoRelease, mode: FelixNftablesMode): string {
  return mode === 'Auto'
    ? `kube-proxy runs nftables and ` +
        `Calico ${release.text} detects kube-proxy's mode on each node ` +
        `(from ${NFTABLES_MODE_SINCE.auto}): each Felix switches when its own kube-proxy does`
    : `kube-proxy runs nftables and ` +
        `Calico ${release.text} has the switch ` +
        `(from ${NFTABLES_MODE_SINCE.switch}) but not Auto (from ${NFTABLES_MODE_SINCE.auto}): every Felix switches when FelixConfiguration changes`;
}
