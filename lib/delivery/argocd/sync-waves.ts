/**
 * Argo CD sync waves inside a cluster: Argo CD applies one wave, waits until it is healthy, then
 * the next. A wave is an object's rollout phase: Felix is pointed at Typha only once Typha is
 * ready, and restarts run after everything.
 */
import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { defaultPhase, phaseOf, RolloutPhase } from '../../core/rollout';

export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';
export const HOOK_ANNOTATION = 'argocd.argoproj.io/hook';

export interface SyncWave {
  readonly wave: number;
  readonly phase: RolloutPhase;
  readonly name: string;
  readonly what: string;
}

export const SYNC_WAVES: readonly SyncWave[] = [
  { wave: 0, phase: 'definitions', name: 'definitions', what: 'CustomResourceDefinitions, so the objects of later waves have their types' },
  { wave: 1, phase: 'identity', name: 'identity', what: 'ServiceAccounts, ClusterRoles, Roles and their bindings' },
  {
    wave: 2,
    phase: 'dataplane',
    name: 'relay and data plane',
    what: 'Typha (Service, Deployment, PodDisruptionBudget), Calico pools and BGP, the Cilium chart; Argo CD waits until Typha is ready',
  },
  {
    wave: 3,
    phase: 'switch',
    name: 'switch',
    what:
      'the ConfigMaps that point agents at Typha or retune them (eni-config, calico-config, kube-proxy), and BGPConfiguration, which ' +
      'turns the node mesh off only once the reflector peerings exist',
  },
];

/** The wave of a rollout phase. */
export function syncWaveOf(phase: RolloutPhase): number {
  return SYNC_WAVES.find((w) => w.phase === phase)!.wave;
}

/** Annotate every object below `scope` with its wave; Argo CD hooks run after the waves and get none. */
export function applySyncWaves(scope: IConstruct): void {
  for (const c of scope.node.findAll()) {
    if (!(c instanceof ApiObject)) continue;
    if (c.metadata.toJson().annotations?.[HOOK_ANNOTATION]) continue;
    c.metadata.addAnnotation(SYNC_WAVE_ANNOTATION, String(syncWaveOf(phaseOf(c) ?? defaultPhase(c.kind))));
  }
}
