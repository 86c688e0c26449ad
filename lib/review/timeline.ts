/**
 * The rollout as ordered steps with their durations: the applies in rollout phases, the workloads
 * that roll by themselves, the restarts and the Cilium chart. The review's Duration table and its
 * Mermaid flowchart both read it, so the two always agree, and the kubectl and Argo CD paths give
 * each wait the same bound (the pace module's).
 */
import { PacedRestart, PacedWait, ResolvedCluster } from '../cluster/resolve';
import { formatCount } from '../core/format';
import { BOUND_FACTOR, formatSeconds, MIN_BOUND_SECONDS, Pace, SECONDS_PER_BATCH } from '../core/pace';
import { RenderedObject, ROLLOUT_PHASES } from '../core/rollout';
import { ciliumApplicationName } from '../components/cilium/facts';
import { SYNC_WAVES } from '../delivery/argocd/sync-waves';

export interface TimelineStep {
  /** apply: objects of one rollout phase; wait: a workload rolling by itself; restart: a DaemonSet restarted; chart: the Cilium chart upgrade. */
  readonly kind: 'apply' | 'wait' | 'restart' | 'chart';
  /** What happens, e.g. "apply wave 2 (relay and data plane)" or "restart ds/terway-eniip". */
  readonly label: string;
  /** The objects or workload, for the table. */
  readonly detail: string;
  readonly estimateSeconds: number;
  /** Waits and restarts: how the estimate and the bound were found. */
  readonly pace?: Pace;
}

/** Every step of the cluster's rollout in order, with what each takes. */
export function rolloutTimeline(c: ResolvedCluster, objects: readonly RenderedObject[]): TimelineStep[] {
  const steps: TimelineStep[] = [];
  const wait = (w: PacedWait): TimelineStep => ({
    kind: 'wait',
    label: `wait for ${w.kind} ${w.name}`,
    detail: w.why,
    estimateSeconds: w.pace.estimateSeconds,
    pace: w.pace,
  });
  for (const phase of ROLLOUT_PHASES) {
    const here = objects.filter((o) => !o.hook && o.phase === phase);
    const wave = SYNC_WAVES.find((w) => w.phase === phase)!;
    if (here.length > 0)
      steps.push({
        kind: 'apply',
        label: `apply wave ${wave.wave} (${wave.name})`,
        detail: here.map((o) => `${o.kind} ${o.name}`).join(', '),
        estimateSeconds: 0,
      });
    if (here.length > 0) steps.push(...c.waits.filter((w) => w.after === phase).map(wait));
  }
  steps.push(
    ...c.restarts.map((r: PacedRestart) => ({
      kind: 'restart' as const,
      label: `restart ds/${r.daemonSet}`,
      detail: r.why,
      estimateSeconds: r.pace.estimateSeconds,
      pace: r.pace,
    })),
  );
  for (const w of c.waits.filter((x) => x.after === 'chart')) {
    steps.push({
      kind: 'chart',
      label: `Cilium chart ${c.cilium?.version ?? ''}, agents roll`.replace('  ', ' '),
      detail: `${chartDelivery(c)}; ${w.why}`,
      estimateSeconds: w.pace.estimateSeconds,
      pace: w.pace,
    });
  }
  return steps;
}

function chartDelivery(c: ResolvedCluster): string {
  const delivery = c.cilium?.delivery;
  if (delivery === 'argocd') return `the Application ${ciliumApplicationName(c.name)} syncs the values`;
  if (delivery === 'k3s') return 'the k3s helm controller upgrades the release from the HelmChart';
  return 'helm upgrade with the values file, by hand';
}

/** The review's Duration section: one row per step, the total, and where the figures come from. */
export function durationSection(c: ResolvedCluster, steps: readonly TimelineStep[]): string[] {
  const lines = ['## Duration', ''];
  if (steps.length === 0) return [...lines, 'Nothing rolls: this profile renders nothing the cluster runs.', ''];
  lines.push(
    `Each wait is estimated from the workload's own pace: a DaemonSet replaces maxUnavailable pods per batch, a Deployment with maxSurge ` +
      `100% starts every new pod in one batch, and a batch ` +
      `takes ${SECONDS_PER_BATCH} s (a stated planning figure: the old pods stop, new ones start from an image already on the node and report ` +
      `Ready). Each wait is bounded at ${BOUND_FACTOR} x its estimate, at ` +
      `least ${MIN_BOUND_SECONDS / 60} min: the same bound in the kubectl commands (\`--timeout\`) and in the Argo CD restart Jobs.`,
    '',
    '| step | what | pace | estimate | bound |',
    '| --- | --- | --- | ---: | ---: |',
  );
  steps.forEach((s, i) =>
    lines.push(
      `| ${i + 1} | ${s.label}: ${s.detail} | ${s.pace?.rule ?? 'applied at once'} | ${formatSeconds(s.estimateSeconds)} | ${s.pace?.bound ?? ''} |`,
    ),
  );
  const total = steps.reduce((n, s) => n + s.estimateSeconds, 0);
  lines.push(`| | total | ${formatCount(c.nodes)} nodes | ${formatSeconds(total)} | |`, '');
  if (c.argocd?.restartTimeoutSet && c.restarts.length > 0)
    lines.push(`spec.argocd.restartTimeout sets every restart Job's bound to ${c.argocd.restartTimeout} instead.`, '');
  if (c.argocd && steps.some((s) => s.kind === 'wait')) {
    lines.push(
      'Argo CD waits for a wave to be Healthy without a limit of its own: if a wait is still Progressing past its bound, stop the sync (the ' +
        'Rollback section says how) instead of letting it run on.',
      '',
    );
  }
  if (c.argocd?.stage !== undefined)
    lines.push(
      `Stage ${c.argocd.stage}: the rollout starts only once every cluster of the earlier stages is Healthy, which the total does not count.`,
      '',
    );
  return lines;
}

/**
 * The rollout as a Mermaid flowchart (GitHub and GitLab render it in Markdown): each step with its
 * estimate, in order. Labels are quoted and stripped of what Mermaid reads as syntax.
 */
export function rolloutFlowchart(c: ResolvedCluster, steps: readonly TimelineStep[]): string[] {
  const total = steps.reduce((n, s) => n + s.estimateSeconds, 0);
  const nodes = steps.map((s, i) => `  s${i + 1}["${mermaidText(`${i + 1}. ${s.label}`)}<br/>${mermaidText(estimateLabel(s))}"]`);
  const edges = steps.slice(1).map((_, i) => `  s${i + 1} --> s${i + 2}`);
  const done = steps.length === 0 ? 'nothing to roll out' : `done: about ${formatSeconds(total)} for ${formatCount(c.nodes)} nodes`;
  const end = `  done(["${mermaidText(done)}"])`;
  return ['```mermaid', 'flowchart TD', ...nodes, end, ...edges, ...(steps.length > 0 ? [`  s${steps.length} --> done`] : []), '```'];
}

function estimateLabel(s: TimelineStep): string {
  if (s.pace === undefined) return 'seconds';
  const batches = `${s.pace.batches} batch${s.pace.batches === 1 ? '' : 'es'} of ${s.pace.podsPerBatch}`;
  return `${batches}: ${formatSeconds(s.estimateSeconds)}, bound ${s.pace.bound}`;
}

/** Text safe inside a quoted Mermaid label: no quotes, no brackets or braces Mermaid could read as shapes. */
export function mermaidText(text: string): string {
  return text
    .replace(/"/g, "'")
    .replace(/[[\]{}<>|#;`]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
