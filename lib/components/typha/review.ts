/** What the review says of the Typha relay: the checks that show Felix uses it, and what a revert does. */
import { ClusterContext } from '../../core/cluster';
import { formatCount } from '../../core/format';
import { RollbackNote, VerifyStep } from '../../core/review-parts';
import { TYPHA_NAME } from './facts';

export interface TyphaReviewInput {
  readonly replicas: number;
  readonly clientsPerNode: number;
  /** Typha's own per-replica connection limit, where the sizing ran. */
  readonly connectionLimit?: number;
  /** Typha serves metrics (spec.monitoring). */
  readonly metrics: boolean;
  readonly ownership: 'own' | 'shared' | 'kept';
}

export function typhaVerify(ctx: ClusterContext, t: TyphaReviewInput): VerifyStep[] {
  const component = 'Typha relay';
  const felixLogs =
    ctx.cni === 'terway'
      ? '`kubectl -n kube-system logs <a terway-eniip pod> -c policy | grep -i typha`'
      : '`kubectl -n kube-system logs <a calico-node pod> -c calico-node | grep -i typha`';
  const perReplica = Math.ceil((ctx.nodes * t.clientsPerNode) / t.replicas);
  const share = `about ${formatCount(perReplica)} per replica (${formatCount(ctx.nodes)} nodes x ${t.clientsPerNode} / ${t.replicas})`;
  const limit = t.connectionLimit !== undefined ? `, below Typha's own limit of ${formatCount(t.connectionLimit)}` : '';
  return [
    {
      component,
      check:
        `\`kubectl -n kube-system rollout status deploy/${TYPHA_NAME}\` and ` +
        `\`kubectl -n kube-system get pods -l k8s-app=${TYPHA_NAME} -o wide\``,
      healthy: `\`successfully rolled out\`, ${t.replicas} pods Ready, each on its own node`,
    },
    {
      component,
      check: `Felix's connection to Typha: ${felixLogs}`,
      healthy:
        '`Connecting to Typha.` followed by `Connected to Typha on attempt 1` (or a low attempt); no `Failed to connect to Typha.` since the restart',
    },
    t.metrics
      ? {
          component,
          check: "Typha's client counts in Prometheus: `sum by (instance) (typha_connections_active)`",
          healthy: `${share}, within 2x of each other${limit}`,
        }
      : {
          component,
          check: `Typha's client counts, on each node that runs a replica: \`ss -Htn state established '( sport = :5473 )' | wc -l\``,
          healthy: `${share}, close to each other${limit}`,
        },
  ];
}

export function typhaRollback(t: TyphaReviewInput): RollbackNote {
  const component = 'Typha relay';
  if (t.ownership === 'kept') {
    return {
      component,
      revert:
        'Typha and the calico-node env entry stay: nothing deletes them, because a Felix told to use Typha does not start without it. Take ' +
        'Felix off Typha first, then remove Typha, as the notes above say.',
    };
  }
  if (t.ownership === 'shared') {
    return {
      component,
      revert:
        `Typha is calico-typha.yaml's own and stays; the replica count netscale set stays too until you scale it back (\`kubectl -n ` +
        `kube-system scale deploy/${TYPHA_NAME} --replicas=<count before>\`). calico-config goes back and calico-node restarts again.`,
    };
  }
  return {
    component,
    revert:
      `Felix is pointed back at the API server by the restart below, and Typha (Deployment, Service, PodDisruptionBudget) goes: Argo ` +
      `CD prunes it at the end of its sync, before the restart Job runs, so until its agent restarts a node's Felix keeps the policy it has and ` +
      `sees no updates, for the length of the restart. Without Argo CD delete it only after the restart: \`kubectl -n kube-system delete ` +
      `deployment,service,poddisruptionbudget ${TYPHA_NAME}\`. Felix watches the API server directly again: the capacity table's watches without ` +
      `the relay come back.`,
  };
}
