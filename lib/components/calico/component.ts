/** Calico as a component: pools, MTUs and BGP (CalicoNetwork), and pointing calico-node at Typha. */
import { ClusterContext } from '../../core/cluster';
import { error, Finding, warning } from '../../core/findings';
import { defineComponent, ResolveRecord } from '../component';
import { TYPHA_NAME } from '../typha/facts';
import { CalicoNetwork, CalicoNetworkProps } from './calico-network';
import { CalicoTyphaConfig } from './calico-typha-config';
import { CALICO_DEFAULT_BLOCK_SIZE, CALICO_NODE_DAEMONSET, DEFAULT_UNDERLAY_MTU } from './facts';
import { calicoTunnelMtus } from './mtu';
import { checkCalico } from './rules';
import type { CalicoSpec } from './schema';
import { calicoRouteReflectorSteps } from './steps';

export interface ResolvedCalico {
  /** Pools, MTUs and BGP, where the profile has a calico section. */
  readonly network?: CalicoNetworkProps;
  /** Self-managed Calico with the relay: calico-config points calico-node at this Typha Service. */
  readonly typhaService?: string;
}

export const calicoComponent = defineComponent({
  key: 'calico',
  // BGPConfiguration turns the node mesh off: only once the reflector peerings exist.
  phases: { ConfigMap: 'switch', BGPConfiguration: 'switch' },
  check(section: CalicoSpec | undefined, ctx: ClusterContext): Finding[] {
    const out: Finding[] = [];
    if (ctx.cni === 'calico' && ctx.networkPolicy === 'disabled') {
      out.push(error(['spec', 'networkPolicy'], 'disabled applies to Terway only (its disable_network_policy key); Calico always enforces NetworkPolicy: use relay or direct'));
    }
    if (section === undefined) return out;
    if (ctx.cni !== 'calico') out.push(error(['spec', 'calico'], `configures Calico, but the profile's cni is ${ctx.cni}: set cni: calico or remove the section`));
    else out.push(...checkCalico(section, { serviceCidr: ctx.serviceCidr, clusterCidr: ctx.clusterCidr }));
    const encapsulated = (section.ipPools ?? []).some((p) => (p.ipipMode ?? 'Never') !== 'Never' || (p.vxlanMode ?? 'Never') !== 'Never') || section.wireguard === true;
    if (encapsulated && section.mtu === undefined) {
      out.push(
        warning(['spec', 'calico'], 'has no mtu: the tunnel MTU is derived from a 1500-byte underlay and overrides Calico\'s own detection; set calico.mtu to the nodes\' MTU (e.g. 1450 in many clouds, 9001 with jumbo frames)', 'Calico MTU guide'),
      );
    }
    if (section.bgp?.routeReflectors && ctx.argocd) {
      out.push(
        warning(
          ['spec', 'calico', 'bgp', 'routeReflectors'],
          'Argo CD turns the node-to-node mesh off in the last wave of the sync: label and patch the reflector nodes (the review\'s commands) before merging, or every cross-node route drops',
          'Calico BGP docs: a node leaves the mesh when it gets a cluster ID',
        ),
      );
    }
    return out;
  },
  resolve(section: CalicoSpec | undefined, ctx: ClusterContext, r: ResolveRecord): ResolvedCalico | undefined {
    if (ctx.cni !== 'calico') return undefined;
    const network = section ? resolveNetwork(section, r) : undefined;
    const typhaService = ctx.networkPolicy === 'relay' ? pointCalicoAtTypha(r) : undefined;
    return network || typhaService ? { network, typhaService } : undefined;
  },
  render(scope, resolved: ResolvedCalico) {
    if (resolved.network) new CalicoNetwork(scope, 'CalicoNetwork', resolved.network);
    if (resolved.typhaService) new CalicoTyphaConfig(scope, 'CalicoTyphaConfig', { serviceName: resolved.typhaService });
  },
});

function resolveNetwork(c: CalicoSpec, r: ResolveRecord): CalicoNetworkProps {
  const props: CalicoNetworkProps = { ipPools: c.ipPools, mtu: c.mtu, wireguard: c.wireguard, bgp: c.bgp };
  r.decisions.push({ name: 'Underlay MTU', value: c.mtu ?? DEFAULT_UNDERLAY_MTU, rule: c.mtu ? 'set in the profile' : `default: ${DEFAULT_UNDERLAY_MTU} (Ethernet)` });
  r.decisions.push(...calicoTunnelMtus(props).decisions);
  const sizes = [...new Set((c.ipPools ?? []).map((p) => p.blockSize ?? CALICO_DEFAULT_BLOCK_SIZE[p.cidr.includes(':') ? 6 : 4]))];
  if (sizes.length === 1) r.decisions.push({ name: 'IP pool blockSize', value: sizes[0], rule: 'one block size in every pool, so routes aggregate per pool', source: 'seed 002: 27 in every pool' });
  if ((c.ipPools ?? []).length > 0) {
    r.steps.push(
      `Before the sync, compare the pools with the cluster's: \`calicoctl get ippool -o wide\`. Calico does not change the cidr or blockSize of an existing pool; to move one (${(c.ipPools ?? []).map((p) => p.name).join(', ')}), add a new pool, set the old one disabled, and migrate the pods.`,
    );
  }
  if (c.bgp?.routeReflectors) {
    r.decisions.push({ name: 'BGP node-to-node mesh', value: 'off', rule: 'route reflectors replace the full mesh (n x (n - 1) / 2 sessions)', source: 'seed 002' });
    r.steps.push(...calicoRouteReflectorSteps(c.bgp.routeReflectors));
  }
  return props;
}

/** Self-managed Calico with the relay: calico-config names Typha, and calico-node restarts to read it. */
function pointCalicoAtTypha(r: ResolveRecord): string {
  r.restarts.push({ daemonSet: CALICO_NODE_DAEMONSET, namespace: 'kube-system', configuration: JSON.stringify({ typha_service_name: TYPHA_NAME }), why: 'calico-node reads typha_service_name from calico-config only when it starts' });
  return TYPHA_NAME;
}
