import { createHash } from 'crypto';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-27';
import { KUBECTL_IMAGE } from '../../core/argocd';
import { durationSeconds } from '../../core/duration';

/** Pod-template annotation carrying the hash of the configuration the pods were started with. */
export const CONFIG_HASH_ANNOTATION = 'netscale.dev/config-hash';

/** What `kubectl patch` (get, patch) and `kubectl rollout status` (get, list, watch) call. */
export const RESTART_VERBS = ['get', 'list', 'patch', 'watch'] as const;

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
   * names the Job, so a new configuration gets a new Job and an unchanged one none.
   */
  readonly configuration: string;
  /**
   * kubectl image, pinned.
   * @default KUBECTL_IMAGE
   */
  readonly image?: string;
  /**
   * How long `kubectl rollout status` waits for every pod to be replaced.
   * @default '30m'
   */
  readonly timeout?: string;
}

/** Short, stable content hash for names. */
export function configurationHash(configuration: string): string {
  return createHash('sha256').update(configuration).digest('hex').slice(0, 10);
}

/**
 * A rolling restart of one DaemonSet after Argo CD synced the configuration it reads at start:
 * an Argo CD PostSync hook Job that sets the configuration's hash as a pod-template annotation and
 * then waits for `kubectl rollout status`, so the DaemonSet's own maxUnavailable paces the
 * restart, never every node at once.
 *
 * The patch is idempotent: the pods roll only when the hash differs from the one they run with.
 * So the hook can run on every sync (BeforeHookCreation replaces the previous Job): a retry, a
 * sync that changed nothing else, or a second run never restarts again, and a revert to an earlier
 * configuration restarts once, as a change should.
 */
export class DaemonSetRestart extends Construct {
  public readonly jobName: string;

  constructor(scope: Construct, id: string, props: DaemonSetRestartProps) {
    super(scope, id);
    const namespace = props.namespace ?? 'kube-system';
    const name = `netscale-restart-${props.daemonSet}`;
    if (name.length > 52) throw new Error(`DaemonSetRestart: DaemonSet name "${props.daemonSet}" is too long for a Job name with its hash (at most 35 characters)`);
    const hash = configurationHash(props.configuration);
    this.jobName = `${name}-${hash}`;
    const labels = { 'app.kubernetes.io/managed-by': 'netscale', 'netscale.dev/restart': props.daemonSet };
    const timeout = props.timeout ?? '30m';

    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: { name, namespace, labels } });
    new k8s.KubeRole(this, 'Role', {
      metadata: { name, namespace, labels },
      // resourceNames also bounds list and watch: kubectl asks for them with a metadata.name field selector.
      rules: [{ apiGroups: ['apps'], resources: ['daemonsets'], resourceNames: [props.daemonSet], verbs: [...RESTART_VERBS] }],
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
      args,
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
    new k8s.KubeJob(this, 'Job', {
      metadata: {
        name: this.jobName,
        namespace,
        labels,
        annotations: {
          'argocd.argoproj.io/hook': 'PostSync',
          'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
        },
      },
      spec: {
        // A retry is harmless (the patch is idempotent) and covers an API server hiccup.
        backoffLimit: 2,
        activeDeadlineSeconds: timeoutSeconds(timeout) + 300,
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            restartPolicy: 'Never',
            volumes: [{ name: 'tmp', emptyDir: {} }],
            priorityClassName: 'system-cluster-critical',
            tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }],
            // Two steps without a shell: the init container sets the hash, the main one waits.
            initContainers: [
              kubectl('restart', ['--namespace', namespace, 'patch', `daemonset/${props.daemonSet}`, '--type=strategic', '--patch', JSON.stringify({ spec: { template: { metadata: { annotations: { [CONFIG_HASH_ANNOTATION]: hash } } } } })]),
            ],
            containers: [kubectl('wait', ['--namespace', namespace, 'rollout', 'status', `daemonset/${props.daemonSet}`, `--timeout=${timeout}`])],
          },
        },
      },
    });
  }
}

function timeoutSeconds(timeout: string): number {
  const seconds = /^(\d+h)?(\d+m)?(\d+s)?$/.test(timeout) ? durationSeconds(timeout) : 0;
  if (seconds === 0) throw new Error(`DaemonSetRestart timeout must be whole hours, minutes and seconds such as 30m (got ${timeout})`);
  return seconds;
}
