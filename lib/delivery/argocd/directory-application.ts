import { Construct } from 'constructs';
import { Application, ApplicationSpecDestination, ApplicationSpecIgnoreDifferences } from '../../../imports/argoproj.io';
import { ARGOCD_DEFAULTS, FOLDER_AUTOMATED_SYNC } from '../../core/argocd';

export const ARGOCD_FOLDER = 'argocd';
export const FLEET_APPLICATION = 'netscale-fleet';

export interface GitSourceProps {
  /** Repository Argo CD reads the rendered output from. */
  readonly repoURL: string;
  /**
   * Branch, tag or commit.
   * @default 'main'
   */
  readonly targetRevision?: string;
  /**
   * Namespace Argo CD runs in; Applications live there.
   * @default 'argocd'
   */
  readonly namespace?: string;
  /**
   * Argo CD project.
   * @default 'default'
   */
  readonly project?: string;
}

export interface DirectoryApplicationProps extends GitSourceProps {
  /** Application name. */
  readonly name: string;
  /** Folder of the repository to sync, e.g. `dist/prod-sh`. */
  readonly path: string;
  /**
   * Target cluster: its API server URL or its name in Argo CD, not both.
   * @default - the cluster Argo CD runs in (https://kubernetes.default.svc)
   */
  readonly destination?: { readonly server?: string; readonly name?: string };
  /**
   * Namespace for objects that have none (cluster folders are all kube-system or cluster-scoped).
   * @default - none
   */
  readonly destinationNamespace?: string;
  /**
   * Fields a controller in the cluster owns once the object exists (a Deployment's replicas under
   * an autoscaler): Argo CD neither reports them as drift nor puts them back on a sync
   * (`RespectIgnoreDifferences=true`); it applies them only when it creates the object.
   * @default - none
   */
  readonly ignoreDifferences?: readonly ApplicationSpecIgnoreDifferences[];
}

/**
 * An Argo CD Application syncing one folder of rendered YAML (a plain directory, not recursive).
 * Automated with prune and self-heal; objects shared with the platform protect themselves with
 * `Prune=false`. No resources finalizer: deleting the Application never deletes what it synced.
 */
export class DirectoryApplication extends Construct {
  public readonly application: Application;

  constructor(scope: Construct, id: string, props: DirectoryApplicationProps) {
    super(scope, id);
    if (props.destination?.server && props.destination.name) {
      throw new Error(`DirectoryApplication ${props.name}: destination takes a server or a name, not both`);
    }
    const ignoreDifferences = props.ignoreDifferences ?? [];
    const destination: ApplicationSpecDestination = props.destination?.name
      ? { name: props.destination.name, namespace: props.destinationNamespace }
      : { server: props.destination?.server ?? ARGOCD_DEFAULTS.server, namespace: props.destinationNamespace };
    this.application = new Application(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace ?? ARGOCD_DEFAULTS.namespace, labels: { 'app.kubernetes.io/managed-by': 'netscale' } },
      spec: {
        project: props.project ?? ARGOCD_DEFAULTS.project,
        source: {
          repoUrl: props.repoURL,
          targetRevision: props.targetRevision ?? ARGOCD_DEFAULTS.targetRevision,
          path: props.path,
          directory: { recurse: false },
        },
        destination,
        ...(ignoreDifferences.length > 0 ? { ignoreDifferences: [...ignoreDifferences] } : {}),
        syncPolicy: {
          automated: { ...FOLDER_AUTOMATED_SYNC },
          // argoproj/argo-cd docs/user-guide/sync-options.md, "Respect ignore differences configs".
          syncOptions: ['PruneLast=true', ...(ignoreDifferences.length > 0 ? ['RespectIgnoreDifferences=true'] : [])],
          retry: { limit: 5, backoff: { duration: '30s', factor: 2, maxDuration: '10m' } },
        },
      },
    });
  }
}
