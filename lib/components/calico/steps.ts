/** What a human runs around a Calico change: labelling route reflectors, restarting calico-node. */
import type { CalicoIpPoolProps, CalicoRouteReflectorProps } from './calico-network';
import { CALICO_CONFIG_NAME, CALICO_NODE_DAEMONSET, DEFAULT_ROUTE_REFLECTOR_CLUSTER_ID } from './facts';

/** calico-node reads typha_service_name only at start. */
export function calicoNodeRestartStep(namespace = 'kube-system'): string {
  return (
    `calico-node reads typha_service_name from ${CALICO_CONFIG_NAME} only when it starts: once Typha is ready, restart it node by node with ` +
    `\`kubectl -n ${namespace} rollout restart ds/${CALICO_NODE_DAEMONSET} && ` +
    `kubectl -n ${namespace} rollout status ds/${CALICO_NODE_DAEMONSET} --timeout=30m\`.`
  );
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
    (n) =>
      `\`kubectl drain ${n} --ignore-daemonsets --delete-emptydir-data && kubectl label ` +
      `node ${n} ${label} && calicoctl patch node ${n} -p '${patch}' && kubectl uncordon ${n}\``,
  );
  return [
    `Before this change is synced, make each route ` +
      `reflector${placeholder}: a node leaves the BGP mesh the moment it gets a cluster ID, so drain it first. ${perNode.join('; ')}.`,
    `After the sync, check on a reflector that every node's session is Established before relying on it: \`calicoctl node status\`. The ` +
      `node-to-node mesh goes off when BGPConfiguration default applies.`,
  ];
}

/**
 * A pool with a nodeSelector hands addresses only to the nodes it selects: label them before the
 * sync, or new pods on unlabelled nodes get no address from it.
 */
export function calicoPoolLabelSteps(pools: readonly Pick<CalicoIpPoolProps, 'name' | 'nodeSelector'>[]): string[] {
  return pools
    .filter((p) => p.nodeSelector !== undefined)
    .map((p) => {
      const label = labelForSelector(p.nodeSelector!);
      const how = label ? `\`kubectl label node <node> ${label}\` on each of them` : `labels on each of them that satisfy it`;
      return (
        `Before the sync, label the nodes of pool ${p.name}: it hands addresses only to nodes ` +
        `matching \`${p.nodeSelector}\`, so give the nodes meant for it ${how}, and check with \`kubectl get nodes -l ${label ?? '<label>'}\`.`
      );
    });
}
