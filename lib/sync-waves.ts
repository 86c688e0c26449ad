/**
 * Argo CD sync waves inside a cluster: Argo CD applies one wave, waits until it is healthy, then
 * the next. Felix is pointed at Typha only once Typha is ready, and restarts run after everything.
 */
import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';

export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';

export interface SyncWave {
  readonly wave: number;
  readonly name: string;
  readonly what: string;
}

export const SYNC_WAVES: readonly SyncWave[] = [
  { wave: 0, name: 'definitions', what: 'CustomResourceDefinitions, so the objects of later waves have their types' },
  { wave: 1, name: 'identity', what: 'ServiceAccounts, ClusterRoles, Roles and their bindings' },
  { wave: 2, name: 'relay and data plane', what: 'Typha (Service, Deployment, PodDisruptionBudget), Calico pools and BGP, the Cilium chart; Argo CD waits until Typha is ready' },
  { wave: 3, name: 'switch', what: 'the ConfigMaps that point agents at Typha or retune them (eni-config, calico-config, kube-proxy), and BGPConfiguration, which turns the node mesh off only once the reflector peerings exist' },
];

const WAVE_BY_KIND: Readonly<Record<string, number>> = {
  CustomResourceDefinition: 0,
  ServiceAccount: 1,
  ClusterRole: 1,
  ClusterRoleBinding: 1,
  Role: 1,
  RoleBinding: 1,
  ConfigMap: 3,
  BGPConfiguration: 3,
};

/** Wave of an object: by kind, data-plane objects in wave 2. */
export function syncWaveOf(kind: string): number {
  return WAVE_BY_KIND[kind] ?? 2;
}

/** Annotate every object below `scope` with its wave; Argo CD hooks run after the waves and get none. */
export function applySyncWaves(scope: IConstruct): void {
  for (const c of scope.node.findAll()) {
    if (!(c instanceof ApiObject)) continue;
    if (c.metadata.toJson().annotations?.['argocd.argoproj.io/hook']) continue;
    c.metadata.addAnnotation(SYNC_WAVE_ANNOTATION, String(syncWaveOf(c.kind)));
  }
}
