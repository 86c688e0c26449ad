/** What the review says of a Calico change: the settings it sets, the checks after it, and its revert. */
import { parseCidr } from '../../core/cidr';
import { Decision } from '../../core/decision';
import { ChangeArea, listSettings, RollbackNote, VerifyStep } from '../../core/review-parts';
import { CalicoNetworkProps, ipPoolSpec } from './calico-network';
import { CALICO_CONFIG_NAME, CALICO_DEFAULT_AS_NUMBER, CALICO_NODE_CONTAINER, CALICO_NODE_DAEMONSET, FELIX_TYPHA_SERVICE_ENV } from './facts';
import { calicoTunnelMtus } from './mtu';

/** netscale keeps no copy of the cluster's Calico resources: the profile is all it reads. */
const UNKNOWN = 'Calico keeps these in the cluster and the profile has no copy of them; see them with `calicoctl get <kind> <name> -o yaml`';

function decided(decisions: readonly Decision[], name: string): string | undefined {
  return decisions.find((d) => d.name === name)?.rule;
}

export interface CalicoReviewInput {
  readonly network?: CalicoNetworkProps;
  readonly typhaService?: string;
  readonly typhaEnv?: string;
}

export function calicoChanges(c: CalicoReviewInput, decisions: readonly Decision[]): ChangeArea[] {
  const out: ChangeArea[] = [];
  const n = c.network;
  for (const [i, p] of (n?.ipPools ?? []).entries()) {
    const parsed = parseCidr(p.cidr);
    const spec = ipPoolSpec(p, parsed.ok ? parsed.cidr.family : 4);
    out.push({
      where: `IPPool ${p.name}`,
      unknown: UNKNOWN,
      changes: listSettings(spec, (s) =>
        s === 'blockSize'
          ? (decided(decisions, 'IP pool blockSize') ?? "the pool's block size")
          : (p as unknown as Record<string, unknown>)[s] !== undefined
            ? `set in the profile (spec.calico.ipPools[${i}].${s})`
            : "Calico's default",
      ),
    });
  }
  if (n) {
    const felix: Record<string, unknown> = { ...calicoTunnelMtus(n).felix, ...(n.nftablesMode ? { nftablesMode: n.nftablesMode } : {}) };
    if (Object.keys(felix).length > 0) {
      out.push({
        where: 'FelixConfiguration default',
        unknown: UNKNOWN,
        changes: listSettings(felix, (s) =>
          s === 'nftablesMode'
            ? (decided(decisions, 'Felix nftablesMode') ?? "kube-proxy's mode")
            : /mtu/i.test(s)
              ? 'the underlay MTU less the encapsulation (the Capacity table)'
              : 'set in the profile (spec.calico.wireguard)',
        ),
      });
    }
    if (n.bgp) {
      const rr = n.bgp.routeReflectors;
      out.push({
        where: 'BGPConfiguration default',
        unknown: UNKNOWN,
        changes: listSettings({ asNumber: n.bgp.asNumber ?? CALICO_DEFAULT_AS_NUMBER, nodeToNodeMeshEnabled: rr === undefined }, (s) =>
          s === 'asNumber'
            ? n.bgp?.asNumber !== undefined
              ? 'set in the profile (spec.calico.bgp.asNumber)'
              : "Calico's default"
            : rr
              ? (decided(decisions, 'BGP node-to-node mesh') ?? 'route reflectors replace the mesh')
              : 'no route reflectors: the full mesh',
        ),
      });
    }
  }
  if (c.typhaService) {
    out.push({
      where: `ConfigMap kube-system/${CALICO_CONFIG_NAME}`,
      unknown: 'calico-typha.yaml ships calico-typha here; a cluster may differ',
      changes: [{ setting: 'typha_service_name', next: JSON.stringify(c.typhaService), why: 'calico-node reads it at start to find Typha' }],
    });
  }
  if (c.typhaEnv) {
    out.push({
      where: `DaemonSet kube-system/${CALICO_NODE_DAEMONSET}, container ${CALICO_NODE_CONTAINER}`,
      unknown: 'calico.yaml has no such entry; netscale adds only this one',
      changes: [
        {
          setting: `env ${FELIX_TYPHA_SERVICE_ENV}`,
          next: JSON.stringify(c.typhaEnv),
          why: 'Felix reads the Typha Service from its environment only',
        },
      ],
    });
  }
  return out;
}

export function calicoVerify(c: CalicoReviewInput): VerifyStep[] {
  const component = 'Calico';
  const out: VerifyStep[] = [];
  const n = c.network;
  if (n?.ipPools && n.ipPools.length > 0) {
    out.push(
      {
        component,
        check: '`calicoctl get ippool -o wide`',
        healthy: `${n.ipPools.map((p) => p.name).join(', ')} with the CIDR, block size and modes of the Changes table`,
      },
      { component, check: '`calicoctl ipam show --show-blocks`', healthy: 'new pods get addresses from blocks of these pools; no pool is full' },
    );
  }
  if (n?.mtu !== undefined) {
    const felix = calicoTunnelMtus(n).felix;
    const device =
      felix.ipipMtu !== undefined
        ? ['tunl0', felix.ipipMtu]
        : felix.vxlanMtu !== undefined
          ? ['vxlan.calico', felix.vxlanMtu]
          : felix.wireguardMtu !== undefined
            ? ['wireguard.cali', felix.wireguardMtu]
            : undefined;
    if (device) out.push({ component, check: `on a node: \`ip link show ${device[0]}\``, healthy: `\`mtu ${device[1]}\`` });
  }
  if (n?.bgp?.routeReflectors) {
    out.push(
      { component, check: 'on a route reflector node: `calicoctl node status`', healthy: 'a BGP session to every other node, each `Established`' },
      {
        component,
        check: 'on any other node: `calicoctl node status`',
        healthy: 'sessions to the reflectors only, each `Established`: the node-to-node mesh is off',
      },
    );
  }
  if (c.typhaEnv || c.typhaService) {
    out.push({
      component,
      check:
        `\`kubectl -n kube-system rollout ` +
        `status ds/${CALICO_NODE_DAEMONSET}\` and \`kubectl -n kube-system get pods -l k8s-app=${CALICO_NODE_DAEMONSET} -o wide\``,
      healthy:
        `\`successfully rolled out\`, every calico-node Ready: each restarted ` +
        `with ${c.typhaEnv ? `${FELIX_TYPHA_SERVICE_ENV}=${c.typhaEnv}` : `typha_service_name ${c.typhaService}`} and reached Typha (the ` +
        `Typha relay checks say how to see it)`,
    });
  }
  if (n?.nftablesMode) {
    out.push({
      component,
      check: "`kubectl get felixconfiguration default -o jsonpath='{.spec.nftablesMode}'` and `kubectl -n kube-system rollout status ds/calico-node`",
      healthy: `\`${n.nftablesMode}\`, and every calico-node Ready after Felix restarted into the mode`,
    });
  }
  return out;
}

export function calicoRollback(c: CalicoReviewInput): RollbackNote[] {
  const out: RollbackNote[] = [];
  const n = c.network;
  if (n?.ipPools && n.ipPools.length > 0) {
    const disabled = n.ipPools.filter((p) => p.disabled);
    out.push({
      component: 'Calico IP pools',
      revert:
        'A changed pool field (natOutgoing, nodeSelector, encapsulation, disabled) goes back with the revert. A pool this change adds is ' +
        'never deleted by one (pools are shared objects, never pruned): delete it by hand with `calicoctl delete ippool <name>` once ' +
        '`calicoctl ipam show --show-blocks` shows no block of it in use.',
      ...(disabled.length > 0
        ? {
            pointOfNoReturn:
              `${disabled.map((p) => p.name).join(', ')} ${disabled.length === 1 ? 'is' : 'are'} disabled: once the pods ` +
              `holding ${disabled.length === 1 ? 'its' : 'their'} addresses are recreated and the pool is deleted (the migrate-pools path), those ` +
              `addresses are gone and no revert brings them back`,
          }
        : {}),
    });
  }
  if (n?.bgp?.routeReflectors) {
    out.push({
      component: 'Calico BGP',
      revert:
        'A revert does not turn the node-to-node mesh back on: BGPConfiguration default and the BGPPeers are shared objects, never pruned. ' +
        'Turn the mesh on first (`calicoctl patch bgpconfiguration default -p \'{"spec":{"nodeToNodeMeshEnabled":true}}\'`), wait until `calicoctl ' +
        "node status` shows the mesh sessions Established on every node, then revert, and remove the BGPPeers, the reflectors' cluster ID and " +
        'their label last.',
      pointOfNoReturn:
        'the mesh goes off the moment BGPConfiguration default applies (the last wave): from then on a plain revert leaves it off, and the ' +
        'steps above are the way back',
    });
  }
  if (c.typhaService) {
    out.push({
      component: 'Calico and Typha',
      revert:
        `calico-config's typha_service_name goes back where an earlier render set it; where none did, it stays (calico-config is never ` +
        `pruned): set it to none (\`kubectl -n kube-system ` +
        `patch cm ${CALICO_CONFIG_NAME} -p '{"data":{"typha_service_name":"none"}}'\`) and restart calico-node.`,
    });
  }
  return out;
}
