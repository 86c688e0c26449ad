import { createHash } from 'crypto';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-27';
import { KUBECTL_IMAGE } from '../../core/argocd';
import { durationSeconds } from '../../core/duration';

/** Pod-template annotation and label carrying the hash of the configuration the pods were started with. */
export const CONFIG_HASH_ANNOTATION = 'netscale.dev/config-hash';
export const CONFIG_HASH_LABEL = 'netscale.dev/config-hash';

/** What `kubectl patch` (get, patch) and `kubectl rollout status` (get, list, watch) call on the DaemonSet. */
export const RESTART_VERBS = ['get', 'list', 'patch', 'watch'] as const;
/** What `kubectl wait` calls on the pods of the new configuration. */
export const PROGRESS_VERBS = ['get', 'list', 'watch'] as const;

/** The Job's name: one per DaemonSet, so BeforeHookCreation replaces the previous run's Job. */
export function restartJobName(daemonSet: string): string {
  return `netscale-restart-${daemonSet}`;
}

export interface DaemonSetRestartProps {
  /** The DaemonSet to restart. */
  readonly daemonSet: string;
  /**
   * Namespace of the DaemonSet, and of the Job and its RBAC.
   * @default 'kube-system'
   */
  readonly namespace?: string;
  /**
   * The configuration the restart is for, e.g. the ConfigMap data the DaemonSet reads. Its hash
   * goes on the pod template, so a new configuration rolls the pods and an unchanged one does not.
   */
  readonly configuration: string;
  /**
   * kubectl image, pinned. The image has no shell: every step is one kubectl command.
   * @default KUBECTL_IMAGE
   */
  readonly image?: string;
  /**
   * The longest the whole restart may take (the Job's deadline, less five minutes of slack).
   * @default '30m'
   */
  readonly timeout?: string;
  /**
   * The longest the restart may go without progress: the Job fails when a pod of the new
   * configuration is not Ready within this time, instead of holding the sync until `timeout`.
   * Needs Job pod failure policies (Kubernetes 1.26 or newer).
   * @default - no bound but `timeout`
   */
  readonly progressTimeout?: string;
  /**
   * Argo CD sync wave of the hook: restarts of several DaemonSets run one after the other, lowest first.
   * @default - none (wave 0)
   */
  readonly wave?: number;
}

/** Short, stable content hash for names and labels. */
export function configurationHash(configuration: string): string {
  return createHash('sha256').update(configuration).digest('hex').slice(0, 10);
}

/**
 * A rolling restart of one DaemonSet after Argo CD synced the configuration it reads at start:
 * an Argo CD PostSync hook Job that sets the configuration's hash on the pod template (annotation
 * and label), then waits for `kubectl rollout status`, so the DaemonSet's own maxUnavailable paces
 * the restart, never every node at once.
 *
 * The patch is idempotent: the pods roll only when the hash differs from the one they run with,
 * so a retry, a sync that changed nothing else, or a second run never restarts again, and a
 * revert to an earlier configuration restarts once, as a change should. The Job's name is one per
 * DaemonSet, so each sync's BeforeHookCreation deletes the previous Job instead of leaving it.
 *
 * With `progressTimeout` the wait runs in windows of that length, one Job pod each: a window
 * first checks that every pod of the new configuration (selected by the hash label) is Ready
 * within the window, then waits for the rollout. A window that ends with pods still rolling is
 * not counted (pod failure policy Ignore on the `wait` container); a failed check is, and the
 * second one fails the Job: the first check, right after the patch, may find no new pod yet.
 * So a rollout that stops progressing fails within about two windows, and Argo CD can retry or
 * sync a revert, instead of waiting out `timeout`.
 */
export class DaemonSetRestart extends Construct {
  public readonly jobName: string;

  constructor(scope: Construct, id: string, props: DaemonSetRestartProps) {
    super(scope, id);
    const namespace = props.namespace ?? 'kube-system';
    const name = restartJobName(props.daemonSet);
    // Job names become the job-name label of their pods: 63 characters at most.
    if (name.length > 63)
      throw new Error(`DaemonSetRestart: DaemonSet name "${props.daemonSet}" is too long for the Job name ${name} (at most 46 characters)`);
    const hash = configurationHash(props.configuration);
    this.jobName = name;
    const labels = { 'app.kubernetes.io/managed-by': 'netscale', 'netscale.dev/restart': props.daemonSet };
    const timeout = props.timeout ?? '30m';
    const progress = props.progressTimeout;
    const totalSeconds = timeoutSeconds(timeout, 'timeout');
    if (progress !== undefined && timeoutSeconds(progress, 'progressTimeout') > totalSeconds) {
      throw new Error(`DaemonSetRestart progressTimeout (${progress}) must not exceed timeout (${timeout})`);
    }

    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: { name, namespace, labels } });
    new k8s.KubeRole(this, 'Role', {
      metadata: { name, namespace, labels },
      rules: [
        // resourceNames also bounds list and watch: kubectl asks for them with a metadata.name field selector.
        { apiGroups: ['apps'], resources: ['daemonsets'], resourceNames: [props.daemonSet], verbs: [...RESTART_VERBS] },
        // kubectl wait lists pods by label, which resourceNames cannot bound: read-only.
        ...(progress !== undefined ? [{ apiGroups: [''], resources: ['pods'], verbs: [...PROGRESS_VERBS] }] : []),
      ],
    });
    new k8s.KubeRoleBinding(this, 'RoleBinding', {
      metadata: { name, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    });

    const kubectl = (container: string, args: string[]): k8s.Container => ({
      name: container,
      image: props.image ?? KUBECTL_IMAGE,
      command: ['kubectl'],
      args: ['--namespace', namespace, ...args],
      // kubectl caches discovery under $HOME; the root file system is read-only.
      env: [{ name: 'HOME', value: '/tmp' }],
      volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
      resources: { requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('32Mi') } },
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 65534,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      },
    });
    const patch = { spec: { template: { metadata: { annotations: { [CONFIG_HASH_ANNOTATION]: hash }, labels: { [CONFIG_HASH_LABEL]: hash } } } } };
    const initContainers = [kubectl('restart', ['patch', `daemonset/${props.daemonSet}`, '--type=strategic', '--patch', JSON.stringify(patch)])];
    if (progress !== undefined) {
      initContainers.push(
        kubectl('progress', [
          'wait',
          '--for=condition=Ready',
          'pods',
          `--selector=${CONFIG_HASH_LABEL}=${hash}`,
          '--field-selector=status.phase!=Failed,status.phase!=Succeeded',
          `--timeout=${progress}`,
        ]),
      );
    }
    const annotations: Record<string, string> = {
      'argocd.argoproj.io/hook': 'PostSync',
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
      ...(props.wave !== undefined ? { 'argocd.argoproj.io/sync-wave': String(props.wave) } : {}),
    };
    new k8s.KubeJob(this, 'Job', {
      metadata: { name, namespace, labels, annotations },
      spec: {
        // With windows, one failed progress check is allowed (the first may come before any new pod);
        // without, a retry is harmless (the patch is idempotent) and covers an API server hiccup.
        backoffLimit: progress !== undefined ? 1 : 2,
        activeDeadlineSeconds: totalSeconds + 300,
        ...(progress !== undefined
          ? {
              podFailurePolicy: {
                rules: [
                  // A window that ended with the rollout still going is not a failure, nor is an evicted Job pod.
                  // onPodConditions is required (empty) by the batch/v1 schema of Kubernetes 1.26 and 1.27.
                  { action: 'Ignore', onExitCodes: { containerName: 'wait', operator: 'In', values: [1] }, onPodConditions: [] },
                  { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
                ],
              },
            }
          : {}),
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            restartPolicy: 'Never',
            volumes: [{ name: 'tmp', emptyDir: {} }],
            priorityClassName: 'system-cluster-critical',
            tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }],
            // Steps without a shell: the init containers patch and check progress, the main one waits.
            initContainers,
            containers: [kubectl('wait', ['rollout', 'status', `daemonset/${props.daemonSet}`, `--timeout=${progress ?? timeout}`])],
          },
        },
      },
    });
  }
}

function timeoutSeconds(duration: string, prop: string): number {
  const seconds = /^(\d+h)?(\d+m)?(\d+s)?$/.test(duration) ? durationSeconds(duration) : 0;
  if (seconds === 0) throw new Error(`DaemonSetRestart ${prop} must be whole hours, minutes and seconds such as 30m (got ${duration})`);
  return seconds;
}
