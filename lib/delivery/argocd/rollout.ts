/** With Argo CD the rollout orders itself: what each wave holds and which restarts follow. */
import { ResolvedCluster } from '../../cluster/resolve';
import { RenderedObject } from '../../core/rollout';
import { SYNC_WAVES } from './sync-waves';

export function argocdRollout(c: ResolvedCluster, objects: readonly RenderedObject[]): string[] {
  const a = c.argocd!;
  const out = [`Argo CD syncs \`${a.path}/${c.name}\` to ${a.destination.name ? `cluster ${a.destination.name}` : a.destination.server} in waves, each one healthy before the next:`, ''];
  for (const wave of SYNC_WAVES) {
    const here = objects.filter((o) => !o.hook && o.phase === wave.phase);
    if (here.length > 0) out.push(`- wave ${wave.wave} (${wave.name}): ${here.map((o) => `${o.kind} ${o.name}`).join(', ')}`);
  }
  for (const r of c.restarts) {
    out.push(
      `- after the sync (PostSync): a Job sets the configuration's hash on \`ds/${r.daemonSet}\`'s pod template and waits up to ${a.restartTimeout} for \`kubectl rollout status\`, at the DaemonSet's own maxUnavailable${r.maxUnavailable !== undefined ? ` (${r.maxUnavailable})` : ''} (${r.why}); the pods roll only when the hash changes, so a sync that changed nothing restarts nothing.`,
    );
  }
  out.push('', 'Roll back by reverting the commit: the configuration and its hash change back, so the DaemonSets roll once more.');
  return out;
}
