import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-27';
import { Problem, throwOnErrors } from '../../core/findings';
import { setControllerOwnedFields } from '../../core/rollout';
import { BgpPeerCrd } from './bgp-peer-crd';
import { parseCalicoRelease } from '../calico/facts';
import { TYPHA_HEALTH_PORT, TYPHA_METRICS_PORT_NAME, TYPHA_NAME, TYPHA_PORT, TYPHA_RELAY_DEFAULTS, UPSTREAM_TYPHA_IMAGE } from './facts';
import { typhaClusterRoleRules, typhaReadsShutdownTimeout, typhaReleaseOfImage } from './releases';
import { TyphaAutoscaler, TyphaAutoscalerProps } from './typha-autoscaler';

export interface TyphaTlsProps {
  /** Secret with the Typha server certificate and key, keys `tls.crt` and `tls.key`. */
  readonly secretName: string;
  /** ConfigMap with the CA bundle that signed the Felix client certificates, key `ca.crt`. */
  readonly caConfigMapName: string;
  /**
   * Common name a Felix client certificate must carry (TYPHA_CLIENTCN).
   * @default - not checked; then `clientUriSan` must be set
   */
  readonly clientCommonName?: string;
  /**
   * URI SAN a Felix client certificate must carry (TYPHA_CLIENTURISAN).
   * @default - not checked; then `clientCommonName` must be set
   */
  readonly clientUriSan?: string;
}

export interface TyphaRelayProps {
  /**
   * Number of Typha replicas. Use `typhaReplicas()` from `sizing.ts` to size it from the node count.
   * @default 3
   */
  readonly replicas?: number;
  /**
   * Namespace of every namespaced object. Felix looks the Service up in kube-system.
   * @default 'kube-system'
   */
  readonly namespace?: string;
  /**
   * Typha image, pinned to a tag or digest.
   * @default UPSTREAM_TYPHA_IMAGE (use `ackTyphaImage(region)` on ACK)
   */
  readonly image?: string;
  /**
   * The Calico release the image runs, e.g. `3.30.5`: it picks the ClusterRole's rules (3.29 and
   * 3.30 added resources Typha must list) and the settings the release reads.
   * @default - read from the image tag; an image without a release tag gets the newest rules
   */
  readonly calicoVersion?: string;
  /**
   * Service account the pods run as. Its token is mounted: Typha watches the API server.
   * @default 'calico-typha'
   */
  readonly serviceAccountName?: string;
  /**
   * Create the ServiceAccount, ClusterRole and ClusterRoleBinding Typha needs. Turn off where an
   * existing account already carries the rules (ACK's `terway`).
   * @default true
   */
  readonly createRbac?: boolean;
  /**
   * Emit the `bgppeers.crd.projectcalico.org` CRD, which Typha v3.5 watches and Terway's chart lacks.
   * @default false
   */
  readonly bgpPeerCrd?: boolean;
  /**
   * Keep replicas off virtual-kubelet nodes (label `type: virtual-kubelet`, ACK's elastic
   * container instances), as Terway's own DaemonSet does: no Typha can run there.
   * @default false
   */
  readonly avoidVirtualKubelet?: boolean;
  /**
   * TYPHA_LOGSEVERITYSCREEN.
   * @default 'info'
   */
  readonly logSeverity?: string;
  /**
   * TYPHA_SHUTDOWNTIMEOUTSECS, also the pod's termination grace period, so Typha can move its
   * Felix connections to the other replicas before it is killed. Releases before 3.25 do not read
   * the variable: it is not rendered for them, and only the grace period applies.
   * @default 300
   */
  readonly shutdownTimeoutSeconds?: number;
  /**
   * CPU request of the Typha container.
   * @default '250m'
   */
  readonly cpuRequest?: string;
  /**
   * Memory request of the Typha container.
   * @default '256Mi'
   */
  readonly memoryRequest?: string;
  /**
   * Mutual TLS between Felix and Typha.
   * @default - no TLS
   */
  readonly tls?: TyphaTlsProps;
  /**
   * Serve Prometheus metrics on this port of the node (TYPHA_PROMETHEUSMETRICSENABLED and
   * TYPHA_PROMETHEUSMETRICSPORT; Typha's default is 9093), declared as the container port `metrics`.
   * @default - no metrics
   */
  readonly metricsPort?: number;
  /**
   * Let the cluster-proportional-autoscaler set the replica count from the live node count. The
   * Deployment still starts at `replicas`; after that the count is the autoscaler's, and the
   * object says so to its delivery (Argo CD leaves `/spec/replicas` alone).
   * @default - a fixed replica count
   */
  readonly autoscale?: Omit<TyphaAutoscalerProps, 'namespace' | 'target'>;
}

const SELECTOR = { 'k8s-app': TYPHA_NAME };
const LABELS = { ...SELECTOR, 'app.kubernetes.io/managed-by': 'netscale' };
const CERTS_DIR = '/typha-certs';
const CA_DIR = '/typha-ca';
/** Non-root identity, set explicitly so it holds whatever user the image declares. */
const NOBODY = 65534;

/**
 * The Calico Typha relay: Felix agents connect to a few Typha replicas instead of each watching
 * the API server (seeds 000/001).
 */
export class TyphaRelay extends Construct {
  public readonly serviceName = TYPHA_NAME;
  public readonly namespace: string;
  public readonly replicas: number;
  public readonly service: k8s.KubeService;
  public readonly deployment: k8s.KubeDeployment;
  public readonly podDisruptionBudget: k8s.KubePodDisruptionBudget;
  /** The autoscaler, when `autoscale` is set. */
  public readonly autoscaler?: TyphaAutoscaler;

  constructor(scope: Construct, id: string, props: TyphaRelayProps = {}) {
    super(scope, id);
    throwOnErrors('TyphaRelay', typhaRelayProblems(props));
    this.namespace = props.namespace ?? TYPHA_RELAY_DEFAULTS.namespace;
    this.replicas = props.replicas ?? TYPHA_RELAY_DEFAULTS.replicas;
    const serviceAccountName = props.serviceAccountName ?? TYPHA_NAME;
    const image = props.image ?? UPSTREAM_TYPHA_IMAGE;
    const release = props.calicoVersion !== undefined ? parseCalicoRelease(props.calicoVersion) : typhaReleaseOfImage(image);
    const shutdownTimeoutSeconds = props.shutdownTimeoutSeconds ?? TYPHA_RELAY_DEFAULTS.shutdownTimeoutSeconds;
    const meta = { name: TYPHA_NAME, namespace: this.namespace, labels: LABELS };

    if (props.createRbac ?? true) this.addRbac(serviceAccountName, typhaClusterRoleRules(release));
    if (props.bgpPeerCrd) new BgpPeerCrd(this, 'BgpPeerCrd');

    this.service = new k8s.KubeService(this, 'Service', {
      metadata: meta,
      spec: {
        selector: SELECTOR,
        ports: [{ name: TYPHA_NAME, port: TYPHA_PORT, protocol: 'TCP', targetPort: k8s.IntOrString.fromString(TYPHA_NAME) }],
      },
    });

    const tls = props.tls;
    const env: k8s.EnvVar[] = [
      { name: 'TYPHA_LOGSEVERITYSCREEN', value: props.logSeverity ?? TYPHA_RELAY_DEFAULTS.logSeverity },
      { name: 'TYPHA_LOGFILEPATH', value: 'none' },
      { name: 'TYPHA_LOGSEVERITYSYS', value: 'none' },
      { name: 'TYPHA_CONNECTIONREBALANCINGMODE', value: 'kubernetes' },
      { name: 'TYPHA_DATASTORETYPE', value: 'kubernetes' },
      { name: 'TYPHA_HEALTHENABLED', value: 'true' },
      { name: 'TYPHA_HEALTHPORT', value: String(TYPHA_HEALTH_PORT) },
      { name: 'TYPHA_K8SNAMESPACE', value: this.namespace },
      ...(typhaReadsShutdownTimeout(release) ? [{ name: 'TYPHA_SHUTDOWNTIMEOUTSECS', value: String(shutdownTimeoutSeconds) }] : []),
      ...(props.metricsPort !== undefined
        ? [
            { name: 'TYPHA_PROMETHEUSMETRICSENABLED', value: 'true' },
            { name: 'TYPHA_PROMETHEUSMETRICSPORT', value: String(props.metricsPort) },
          ]
        : []),
      ...(tls
        ? [
            { name: 'TYPHA_CAFILE', value: `${CA_DIR}/ca.crt` },
            { name: 'TYPHA_SERVERCERTFILE', value: `${CERTS_DIR}/tls.crt` },
            { name: 'TYPHA_SERVERKEYFILE', value: `${CERTS_DIR}/tls.key` },
            ...(tls.clientCommonName ? [{ name: 'TYPHA_CLIENTCN', value: tls.clientCommonName }] : []),
            ...(tls.clientUriSan ? [{ name: 'TYPHA_CLIENTURISAN', value: tls.clientUriSan }] : []),
          ]
        : []),
    ];
    const probe = (path: string, periodSeconds: number, initialDelaySeconds?: number): k8s.Probe => ({
      httpGet: { path, port: k8s.IntOrString.fromNumber(TYPHA_HEALTH_PORT), host: 'localhost' },
      periodSeconds,
      timeoutSeconds: 10,
      ...(initialDelaySeconds ? { initialDelaySeconds } : {}),
    });

    this.deployment = new k8s.KubeDeployment(this, 'Deployment', {
      metadata: meta,
      spec: {
        replicas: this.replicas,
        revisionHistoryLimit: 2,
        // A replica may take its whole shutdown timeout to hand its Felix connections over.
        progressDeadlineSeconds: Math.max(600, Math.ceil(shutdownTimeoutSeconds * 1.2)),
        selector: { matchLabels: SELECTOR },
        // Calico's own rollout (charts/calico/templates/calico-typha.yaml): a whole new set of
        // replicas starts beside the old one, so Felix connections move from an old replica
        // straight to a new one; where no node is free for a surge pod (host port 5473), one old
        // replica at a time makes room.
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxSurge: k8s.IntOrString.fromString('100%'), maxUnavailable: k8s.IntOrString.fromNumber(1) },
        },
        template: {
          metadata: { labels: LABELS, annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'true' } },
          spec: {
            hostNetwork: true,
            priorityClassName: 'system-cluster-critical',
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            tolerations: [
              { key: 'CriticalAddonsOnly', operator: 'Exists' },
              { effect: 'NoSchedule', operator: 'Exists' },
              { effect: 'NoExecute', operator: 'Exists' },
            ],
            serviceAccountName,
            automountServiceAccountToken: true,
            terminationGracePeriodSeconds: shutdownTimeoutSeconds,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: NOBODY,
              runAsGroup: NOBODY,
              fsGroup: NOBODY,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            affinity: {
              // Terway's DaemonSet has the same term (charts/terway/templates/terwayd/daemonset.yaml).
              ...(props.avoidVirtualKubelet
                ? {
                    nodeAffinity: {
                      requiredDuringSchedulingIgnoredDuringExecution: {
                        nodeSelectorTerms: [{ matchExpressions: [{ key: 'type', operator: 'NotIn', values: ['virtual-kubelet'] }] }],
                      },
                    },
                  }
                : {}),
              podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: SELECTOR }, topologyKey: 'kubernetes.io/hostname' }],
              },
            },
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: 'topology.kubernetes.io/zone',
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: { matchLabels: SELECTOR },
              },
            ],
            containers: [
              {
                name: TYPHA_NAME,
                image,
                ports: [
                  { name: TYPHA_NAME, containerPort: TYPHA_PORT, protocol: 'TCP' },
                  ...(props.metricsPort !== undefined ? [{ name: TYPHA_METRICS_PORT_NAME, containerPort: props.metricsPort, protocol: 'TCP' }] : []),
                ],
                env,
                livenessProbe: probe('/liveness', 30, 30),
                readinessProbe: probe('/readiness', 10),
                resources: {
                  requests: {
                    cpu: k8s.Quantity.fromString(props.cpuRequest ?? TYPHA_RELAY_DEFAULTS.cpuRequest),
                    memory: k8s.Quantity.fromString(props.memoryRequest ?? TYPHA_RELAY_DEFAULTS.memoryRequest),
                  },
                },
                securityContext: {
                  runAsNonRoot: true,
                  allowPrivilegeEscalation: false,
                  privileged: false,
                  capabilities: { drop: ['ALL'] },
                  seccompProfile: { type: 'RuntimeDefault' },
                },
                volumeMounts: tls
                  ? [
                      { name: 'typha-certs', mountPath: CERTS_DIR, readOnly: true },
                      { name: 'typha-ca', mountPath: CA_DIR, readOnly: true },
                    ]
                  : undefined,
              },
            ],
            volumes: tls
              ? [
                  { name: 'typha-certs', secret: { secretName: tls.secretName } },
                  { name: 'typha-ca', configMap: { name: tls.caConfigMapName } },
                ]
              : undefined,
          },
        },
      },
    });

    this.podDisruptionBudget = new k8s.KubePodDisruptionBudget(this, 'PodDisruptionBudget', {
      metadata: meta,
      spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: SELECTOR } },
    });

    if (props.autoscale) {
      this.autoscaler = new TyphaAutoscaler(this, 'Autoscaler', { ...props.autoscale, namespace: this.namespace, target: TYPHA_NAME });
      setControllerOwnedFields(this.deployment, ['/spec/replicas']);
    }
  }

  private addRbac(serviceAccountName: string, rules: k8s.PolicyRule[]): void {
    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: { name: serviceAccountName, namespace: this.namespace, labels: LABELS } });
    new k8s.KubeClusterRole(this, 'ClusterRole', { metadata: { name: TYPHA_NAME, labels: LABELS }, rules });
    new k8s.KubeClusterRoleBinding(this, 'ClusterRoleBinding', {
      metadata: { name: TYPHA_NAME, labels: LABELS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: TYPHA_NAME },
      subjects: [{ kind: 'ServiceAccount', name: serviceAccountName, namespace: this.namespace }],
    });
  }
}

/**
 * What the constructor refuses, with paths relative to the props: the profile rules report the
 * same problems at spec.typha.
 */
export function typhaRelayProblems(props: Pick<TyphaRelayProps, 'replicas' | 'tls' | 'calicoVersion' | 'metricsPort'>): Problem[] {
  const out: Problem[] = [];
  if (props.calicoVersion !== undefined && parseCalicoRelease(props.calicoVersion) === undefined) {
    out.push({
      severity: 'error',
      path: ['calicoVersion'],
      message: `must be a Calico release such as 3.30.5 (got ${JSON.stringify(props.calicoVersion)})`,
    });
  }
  if (props.replicas !== undefined && (!Number.isInteger(props.replicas) || props.replicas < 1)) {
    out.push({ severity: 'error', path: ['replicas'], message: `must be a whole number of at least 1 (got ${props.replicas})` });
  }
  if (props.tls && !props.tls.clientCommonName && !props.tls.clientUriSan) {
    out.push({
      severity: 'error',
      path: ['tls'],
      message: 'needs clientCommonName or clientUriSan: Typha refuses to start with TLS but no rule for which Felix clients to accept',
    });
  }
  if (
    props.metricsPort !== undefined &&
    (!Number.isInteger(props.metricsPort) ||
      props.metricsPort < 1 ||
      props.metricsPort > 65535 ||
      [TYPHA_PORT, TYPHA_HEALTH_PORT].includes(props.metricsPort))
  ) {
    out.push({
      severity: 'error',
      path: ['metricsPort'],
      message: `must be a port from 1 to 65535 other than Typha's own ${TYPHA_PORT} and ${TYPHA_HEALTH_PORT} (got ${props.metricsPort})`,
    });
  }
  return out;
}
