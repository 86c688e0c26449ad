/** The `spec.argocd` section of a ClusterProfile: how Argo CD delivers the cluster's folder. */
import { z } from 'zod';
import { ARGOCD_DEFAULTS, DEFAULT_MAX_UPDATE, FIRST_STAGE, LAST_STAGE } from '../core/argocd';
import { durationSeconds, WHOLE_DURATION } from '../core/duration';
import { BOUND_FACTOR, MAX_BOUND_SECONDS, MIN_BOUND_SECONDS, SECONDS_PER_BATCH } from '../core/pace';
import { dnsLabel, dnsSubdomain, doc, image } from '../core/zod-fields';

const STAGE_RANGE = `must be a whole number from ${FIRST_STAGE} (goes first) to ${LAST_STAGE}`;

// RollingSync's maxUpdate is an int-or-string: a count of Applications, or a percentage of the
// step's Applications (rounded down, at least one above 0%); 0 syncs none, so the step waits for
// hand syncs. Argo CD docs/operator-manual/applicationset/Progressive-Syncs.md.
const MAX_UPDATE = 'must be a number of clusters (0 or more) or a percentage from 0% to 100% such as 25%';
const maxUpdate = z.union([z.int().min(0, MAX_UPDATE), z.string().regex(/^(100|[1-9]?[0-9])%$/, MAX_UPDATE)], { error: MAX_UPDATE });

const restartDuration = z
  .string()
  .regex(WHOLE_DURATION, 'must be whole hours, minutes and seconds such as 30m or 1h30m')
  .refine((t) => /[1-9]/.test(t), 'must be longer than zero')
  .refine(
    (t) => durationSeconds(t) <= MAX_BOUND_SECONDS,
    `must be at most ${MAX_BOUND_SECONDS / 3600}h: a rollout that takes longer needs a larger maxUnavailable`,
  );

export const argocdSchema = z
  .strictObject({
    repoURL: doc(z.string().min(1), 'Git repository Argo CD reads dist/ from.'),
    targetRevision: doc(z.string().min(1), 'Branch, tag or commit.', ARGOCD_DEFAULTS.targetRevision).optional(),
    path: doc(z.string().min(1), 'Folder of the rendered output in the repository.', ARGOCD_DEFAULTS.path).optional(),
    project: doc(dnsSubdomain, 'Argo CD project.', ARGOCD_DEFAULTS.project).optional(),
    namespace: doc(dnsLabel, 'Namespace Argo CD runs in (where Applications live).', ARGOCD_DEFAULTS.namespace).optional(),
    kubectlImage: doc(
      image,
      'kubectl image of the PostSync restart Jobs, pinned, within one minor of kubernetesVersion. Default: registry.k8s.io/kubectl of the ' +
        "cluster's minor (1.28 to 1.35; 1.27 gets 1.28). On ACK in mainland China, a mirror the VPC reaches.",
    ).optional(),
    restartTimeout: doc(
      restartDuration,
      "How long every restart Job waits for its DaemonSet's rollout. Default: each DaemonSet's own bound, " +
        `${BOUND_FACTOR === 2 ? 'twice' : `${BOUND_FACTOR}x`} its estimate at ${SECONDS_PER_BATCH}s per batch of maxUnavailable pods, ` +
        `at least ${MIN_BOUND_SECONDS / 60}m (the review's Duration section).`,
    ).optional(),
    restartProgressTimeout: doc(
      restartDuration,
      'How long a restart may go without a pod of the new configuration becoming Ready before its Job fails, so the sync ends and a retry or ' +
        'a revert can run (Kubernetes 1.26 or newer).',
      ARGOCD_DEFAULTS.restartProgressTimeout,
    ).optional(),
    stage: doc(
      z.int().min(FIRST_STAGE, STAGE_RANGE).max(LAST_STAGE, STAGE_RANGE),
      `Rollout stage (${FIRST_STAGE} to ${LAST_STAGE}, ${FIRST_STAGE} goes first): staged clusters are delivered by an ApplicationSet whose ` +
        `RollingSync syncs one stage after another, each healthy before the next. Unset: an automated Application of its own, synced at once.`,
    ).optional(),
    maxUpdate: doc(
      maxUpdate,
      'How many clusters of this stage sync at once: a number or a percentage of the stage. 0 holds the stage for syncs by hand. Every ' +
        'cluster of a stage must give the same value.',
      DEFAULT_MAX_UPDATE,
    ).optional(),
    destination: doc(
      z.strictObject({
        server: doc(z.string().regex(/^https:\/\/\S+$/, 'must be an https:// API server URL'), 'API server URL of the target cluster.').optional(),
        name: doc(z.string().min(1), 'Name of the target cluster as registered in Argo CD.').optional(),
      }),
      'Target cluster: a server URL or a name, not both.',
      { server: ARGOCD_DEFAULTS.server },
    ).optional(),
  })
  .meta({ description: 'Argo CD delivery of dist/ (Applications in dist/argocd/).' });

export type ArgocdSpec = z.infer<typeof argocdSchema>;
