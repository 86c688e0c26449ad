import { Construct } from 'constructs';
import { Application, ApplicationSpecIgnoreDifferences } from '../../../imports/argoproj.io';
import { checkChartValues, checkChartVersion } from './construct-checks';
import { chartGeneratedSecrets, CILIUM_CHART, CILIUM_HELM_REPO, CILIUM_NAMESPACE, CiliumValues, parseCiliumVersion } from './facts';
import { CILIUM_AUTOMATED_SYNC } from '../../core/argocd';

const LABELS = { 'app.kubernetes.io/managed-by': 'netscale' };

/**
 * Sync options of the Cilium Application: server-side apply (the chart's objects carry fields,
 * such as appArmorProfile, that client-side diffing rejects), no namespace creation (kube-system
 * exists), and ignored differences kept out of the sync too, or every sync rotates the certificates.
 */
export const CILIUM_SYNC_OPTIONS: readonly string[] = ['ServerSideApply=true', 'CreateNamespace=false', 'RespectIgnoreDifferences=true'];

/**
 * What the Application ignores: exactly the Secrets the chart of `version` fills with fresh keys on
 * every render for these values (`chartGeneratedSecrets`), so certificates do not rotate on each
 * sync and nothing else escapes the diff.
 */
export function ciliumIgnoreDifferences(version: string, values: CiliumValues): ApplicationSpecIgnoreDifferences[] {
  const v = parseCiliumVersion(version);
  if (!v) return [];
  return chartGeneratedSecrets(v, values).map((name) => ({ group: '', kind: 'Secret', name, jsonPointers: ['/data'] }));
}

export interface CiliumApplicationProps {
  /** Exact chart version, e.g. `1.18.12`; the Application's targetRevision. */
  readonly version: string;
  /** Chart values, e.g. `ciliumValues(spec).values`; rendered as `helm.valuesObject`. */
  readonly values: CiliumValues;
  /**
   * Name of the Application; unique within the Argo CD namespace, so prefix the cluster name when
   * one Argo CD serves several clusters.
   * @default 'cilium'
   */
  readonly name?: string;
  /**
   * Namespace Argo CD runs in, where the Application lives.
   * @default 'argocd'
   */
  readonly namespace?: string;
  /**
   * Argo CD project.
   * @default 'default'
   */
  readonly project?: string;
  /**
   * API server URL of the target cluster. Give this or `destinationName`, not both.
   * @default 'https://kubernetes.default.svc' when destinationName is not set
   */
  readonly destinationServer?: string;
  /**
   * Name of the target cluster as registered in Argo CD.
   * @default - none: destinationServer is used
   */
  readonly destinationName?: string;
  /**
   * Sync on every change and undo drift (self-heal). Pruning stays off: a pruned DaemonSet or
   * ConfigMap takes the cluster's network down.
   * @default false
   */
  readonly automated?: boolean;
}

/**
 * Cilium delivered by Argo CD: an `argoproj.io/v1alpha1` Application that renders the chart from
 * helm.cilium.io into kube-system. It carries no resources finalizer, so deleting the Application
 * leaves the CNI running.
 */
export class CiliumApplication extends Construct {
  public readonly application: Application;

  constructor(scope: Construct, id: string, props: CiliumApplicationProps) {
    super(scope, id);
    checkChartVersion('CiliumApplication', props.version);
    checkChartValues('CiliumApplication', props.values);
    if (props.destinationServer !== undefined && props.destinationName !== undefined) {
      throw new Error(
        `CiliumApplication takes destinationServer or destinationName, not both (got ${props.destinationServer} and ${props.destinationName})`,
      );
    }
    const ignoreDifferences = ciliumIgnoreDifferences(props.version, props.values);
    const destination =
      props.destinationName !== undefined ? { name: props.destinationName } : { server: props.destinationServer ?? 'https://kubernetes.default.svc' };
    this.application = new Application(this, 'Resource', {
      metadata: { name: props.name ?? CILIUM_CHART, namespace: props.namespace ?? 'argocd', labels: LABELS },
      spec: {
        project: props.project ?? 'default',
        source: {
          repoUrl: CILIUM_HELM_REPO,
          chart: CILIUM_CHART,
          targetRevision: props.version,
          // The release name a `helm install cilium` bootstrap used, so the Application adopts it.
          helm: { releaseName: CILIUM_CHART, valuesObject: props.values },
        },
        destination: { ...destination, namespace: CILIUM_NAMESPACE },
        ...(ignoreDifferences.length > 0 ? { ignoreDifferences } : {}),
        syncPolicy: {
          ...(props.automated ? { automated: { ...CILIUM_AUTOMATED_SYNC } } : {}),
          syncOptions: [...CILIUM_SYNC_OPTIONS],
        },
      },
    });
  }
}
