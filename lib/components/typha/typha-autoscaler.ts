import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-27';
import { Problem, throwOnErrors } from '../../core/findings';
import { TYPHA_AUTOSCALER_HEALTH_PORT, TYPHA_AUTOSCALER_IMAGE, TYPHA_AUTOSCALER_NAME, TYPHA_NAME } from './facts';
import { TyphaLadderStep } from './sizing';

export interface TyphaAutoscalerProps {
  /**
   * The ladder: from `nodes` nodes on, `replicas` replicas. Use `typhaLadder()` from `sizing.ts`
   * for the rule the static sizing uses.
   */
  readonly ladder: readonly TyphaLadderStep[];
  /**
   * Namespace of the autoscaler and of the Deployment it scales.
   * @default 'kube-system'
   */
  readonly namespace?: string;
  /**
   * Name of the Deployment it scales.
   * @default 'calico-typha'
   */
  readonly target?: string;
  /**
   * cluster-proportional-autoscaler image, pinned to a tag or digest.
   * @default TYPHA_AUTOSCALER_IMAGE
   */
  readonly image?: string;
}

const SELECTOR = { 'k8s-app': TYPHA_AUTOSCALER_NAME };
const LABELS = { ...SELECTOR, 'app.kubernetes.io/managed-by': 'netscale' };
/** Non-root identity, set explicitly so it holds whatever user the image declares. */
const NOBODY = 65534;

/**
 * The Kubernetes cluster-proportional-autoscaler in ladder mode, scaling Typha's Deployment with
 * the live node count: its own Deployment, a ConfigMap with the ladder, and RBAC that can list the
 * nodes, read that one ConfigMap and scale that one Deployment.
 */
export class TyphaAutoscaler extends Construct {
  public readonly configMap: k8s.KubeConfigMap;
  public readonly deployment: k8s.KubeDeployment;

  constructor(scope: Construct, id: string, props: TyphaAutoscalerProps) {
    super(scope, id);
    throwOnErrors('TyphaAutoscaler', typhaAutoscalerProblems(props));
    const namespace = props.namespace ?? 'kube-system';
    const target = props.target ?? TYPHA_NAME;
    const meta = { name: TYPHA_AUTOSCALER_NAME, namespace, labels: LABELS };

    // The autoscaler needs exactly one key, named after its mode (pkg/autoscaler/controller/plugin/plugin.go);
    // every cordoned node still runs a Felix that connects to Typha, so all nodes count.
    const ladder = { nodesToReplicas: props.ladder.map((s) => [s.nodes, s.replicas]), includeUnschedulableNodes: true };
    this.configMap = new k8s.KubeConfigMap(this, 'ConfigMap', { metadata: meta, data: { ladder: JSON.stringify(ladder) } });

    // It watches the nodes (an informer), reads its ConfigMap with get, and reads and writes the
    // target's scale subresource (pkg/autoscaler/k8sclient/k8sclient.go); with its ConfigMap rendered
    // here it never creates one (no --default-params), so it gets no create.
    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: meta });
    new k8s.KubeClusterRole(this, 'ClusterRole', {
      metadata: { name: TYPHA_AUTOSCALER_NAME, labels: LABELS },
      rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['list', 'watch'] }],
    });
    new k8s.KubeClusterRoleBinding(this, 'ClusterRoleBinding', {
      metadata: { name: TYPHA_AUTOSCALER_NAME, labels: LABELS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: TYPHA_AUTOSCALER_NAME },
      subjects: [{ kind: 'ServiceAccount', name: TYPHA_AUTOSCALER_NAME, namespace }],
    });
    new k8s.KubeRole(this, 'Role', {
      metadata: meta,
      rules: [
        { apiGroups: ['apps'], resources: ['deployments/scale'], resourceNames: [target], verbs: ['get', 'update'] },
        { apiGroups: [''], resources: ['configmaps'], resourceNames: [TYPHA_AUTOSCALER_NAME], verbs: ['get'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'RoleBinding', {
      metadata: meta,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: TYPHA_AUTOSCALER_NAME },
      subjects: [{ kind: 'ServiceAccount', name: TYPHA_AUTOSCALER_NAME, namespace }],
    });

    this.deployment = new k8s.KubeDeployment(this, 'Deployment', {
      metadata: meta,
      spec: {
        replicas: 1,
        revisionHistoryLimit: 2,
        selector: { matchLabels: SELECTOR },
        template: {
          metadata: { labels: LABELS },
          spec: {
            serviceAccountName: TYPHA_AUTOSCALER_NAME,
            automountServiceAccountToken: true,
            priorityClassName: 'system-cluster-critical',
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }],
            securityContext: { runAsNonRoot: true, runAsUser: NOBODY, runAsGroup: NOBODY, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'autoscaler',
                image: props.image ?? TYPHA_AUTOSCALER_IMAGE,
                command: [
                  '/cluster-proportional-autoscaler',
                  `--namespace=${namespace}`,
                  `--configmap=${TYPHA_AUTOSCALER_NAME}`,
                  `--target=deployment/${target}`,
                  '--logtostderr=true',
                  '--v=2',
                ],
                livenessProbe: {
                  httpGet: { path: '/healthz', port: k8s.IntOrString.fromNumber(TYPHA_AUTOSCALER_HEALTH_PORT) },
                  periodSeconds: 30,
                  timeoutSeconds: 10,
                },
                // It keeps a trimmed copy of every Node (name, unschedulable, allocatable).
                resources: { requests: { cpu: k8s.Quantity.fromString('20m'), memory: k8s.Quantity.fromString('32Mi') } },
                securityContext: {
                  runAsNonRoot: true,
                  allowPrivilegeEscalation: false,
                  privileged: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                  seccompProfile: { type: 'RuntimeDefault' },
                },
              },
            ],
          },
        },
      },
    });
  }
}

/** What the constructor refuses, with paths relative to the props. */
export function typhaAutoscalerProblems(props: Pick<TyphaAutoscalerProps, 'ladder'>): Problem[] {
  const out: Problem[] = [];
  if (props.ladder.length === 0) out.push({ severity: 'error', path: ['ladder'], message: 'needs at least one step' });
  props.ladder.forEach((step, i) => {
    if (!Number.isInteger(step.nodes) || step.nodes < 0)
      out.push({ severity: 'error', path: ['ladder', i, 'nodes'], message: `must be a whole number of at least 0 (got ${step.nodes})` });
    // The ladder allows 0, but Felix told to use Typha waits for one.
    if (!Number.isInteger(step.replicas) || step.replicas < 1)
      out.push({
        severity: 'error',
        path: ['ladder', i, 'replicas'],
        message: `must be a whole number of at least 1 (got ${step.replicas}): Felix waits for a Typha`,
      });
    if (i > 0 && step.nodes <= props.ladder[i - 1].nodes) {
      out.push({
        severity: 'error',
        path: ['ladder', i, 'nodes'],
        message: `must be above the step before (${props.ladder[i - 1].nodes}): steps go up in node count`,
      });
    }
  });
  return out;
}
