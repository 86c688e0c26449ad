/**
 * How a rendered object takes part in a rollout, told without naming a delivery tool: its phase
 * (what must exist before it) and who else owns it. Argo CD turns these into sync waves and sync
 * options, the kubectl rollout into ordered commands.
 */
import { IConstruct } from 'constructs';

/** The order objects reach a cluster in: each phase healthy before the next. */
export const ROLLOUT_PHASES = ['definitions', 'identity', 'dataplane', 'switch'] as const;
export type RolloutPhase = (typeof ROLLOUT_PHASES)[number];

/**
 * own: netscale's alone. shared: the platform owns the object too (a ConfigMap or Calico resource
 * the CNI install created), so only the rendered fields are applied and it is never deleted.
 * patch: shared, and rendered as a partial object (a few fields of the platform's DaemonSet) that
 * only server-side apply can merge: schema validation of a whole object must be skipped.
 * kept: netscale's, but deleting it would delete more (a CRD and every object of its kind).
 */
export type Ownership = 'own' | 'shared' | 'patch' | 'kept';

const OWNERSHIP = 'netscale:ownership';
const PHASE = 'netscale:phase';
const CONTROLLER_FIELDS = 'netscale:controller-fields';

function metadataOf(obj: IConstruct, type: string): unknown {
  return obj.node.metadata.find((m) => m.type === type)?.data;
}

export function setOwnership(obj: IConstruct, ownership: Ownership): void {
  obj.node.addMetadata(OWNERSHIP, ownership);
}

export function ownershipOf(obj: IConstruct): Ownership {
  return (metadataOf(obj, OWNERSHIP) as Ownership | undefined) ?? 'own';
}

export function setPhase(obj: IConstruct, phase: RolloutPhase): void {
  obj.node.addMetadata(PHASE, phase);
}

export function phaseOf(obj: IConstruct): RolloutPhase | undefined {
  return metadataOf(obj, PHASE) as RolloutPhase | undefined;
}

/**
 * Fields a controller in the cluster sets once the object exists, as JSON pointers (a Deployment's
 * `/spec/replicas` under an autoscaler): the rendered value is only where the object starts, and a
 * delivery must not put it back afterwards.
 */
export function setControllerOwnedFields(obj: IConstruct, pointers: readonly string[]): void {
  obj.node.addMetadata(CONTROLLER_FIELDS, [...pointers]);
}

export function controllerOwnedFieldsOf(obj: IConstruct): readonly string[] {
  return (metadataOf(obj, CONTROLLER_FIELDS) as string[] | undefined) ?? [];
}

/** The phase of an object by its kind, where its component says nothing else. */
export function defaultPhase(kind: string): RolloutPhase {
  if (kind === 'CustomResourceDefinition') return 'definitions';
  if (['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(kind)) return 'identity';
  return 'dataplane';
}

/** A DaemonSet that reads its configuration only at start, and what it reads. */
export interface RestartNeed {
  readonly daemonSet: string;
  readonly namespace: string;
  /** The configuration it reads; its hash names the change the restart is for. */
  readonly configuration: string;
  readonly why: string;
  /**
   * The DaemonSet's own rollingUpdate.maxUnavailable (a count or a percentage of the nodes),
   * which paces the restart; where netscale knows it.
   */
  readonly maxUnavailable?: string;
}

/**
 * A workload that rolls by itself during the rollout (its pod template changes, or a chart rolls
 * it), which the rollout waits for before going on.
 */
export interface RolloutWait {
  readonly kind: 'DaemonSet' | 'Deployment';
  readonly name: string;
  readonly namespace: string;
  readonly why: string;
  /** A DaemonSet's own rollingUpdate.maxUnavailable, where netscale knows it. */
  readonly maxUnavailable?: string;
  /** A Deployment that surges (maxSurge 100%): its replicas, all started in one batch. */
  readonly surgeReplicas?: number;
  /** When it rolls: once the objects of this phase are applied, or when its Helm chart is upgraded. */
  readonly after: RolloutPhase | 'chart';
}

/** An object as rendered into a cluster's folder, as the review and the rollouts list it. */
export interface RenderedObject {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  /** File inside the chart's folder. */
  readonly file: string;
  /** The Argo CD hook phase, for hooks. */
  readonly hook?: string;
  /** The rollout phase; hooks have none. */
  readonly phase?: RolloutPhase;
  /** A partial object (ownership patch), applied server-side without whole-object validation. */
  readonly partial?: boolean;
}
