/**
 * Argo CD sync options from how an object is owned, applied to a cluster's objects only when Argo
 * CD delivers them (kubectl users get the same effect from `kubectl apply --server-side`).
 */
import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { Ownership, ownershipOf } from '../../core/rollout';

export const SYNC_OPTIONS_ANNOTATION = 'argocd.argoproj.io/sync-options';

/**
 * shared: server-side apply owns only the fields netscale renders, and neither pruning nor
 * deleting the Application ever removes what the platform needs. patch: the same for a partial
 * object, which Argo CD applies only with validation off (argo-cd docs/user-guide/sync-options.md,
 * Server-Side Apply: "patch existing resources by providing a partial yaml"). kept: never pruned or
 * deleted.
 */
export const SYNC_OPTIONS: Readonly<Record<Exclude<Ownership, 'own'>, string>> = {
  shared: 'ServerSideApply=true,Prune=false,Delete=false',
  patch: 'ServerSideApply=true,Prune=false,Delete=false,Validate=false',
  kept: 'Prune=false,Delete=false',
};

/** Annotate every shared or kept object below `scope` with its sync options. */
export function applySyncOptions(scope: IConstruct): void {
  for (const c of scope.node.findAll()) {
    if (!(c instanceof ApiObject)) continue;
    const ownership = ownershipOf(c);
    if (ownership !== 'own') c.metadata.addAnnotation(SYNC_OPTIONS_ANNOTATION, SYNC_OPTIONS[ownership]);
  }
}
