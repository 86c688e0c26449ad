/**
 * Typed access to rendered objects: Kubernetes kinds take their interfaces from kubernetes-models
 * (the models validateObject checks them with), Argo CD's Application its shape from
 * support/applicationset. The objects come from a synth or from YAML, so a type says what a test
 * expects to read, as a cast would; fields the API leaves optional stay optional.
 */
import type { ICustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import type { IClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import type { IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { Application } from './applicationset';

export interface Kinds {
  Application: Application;
  ClusterRole: IClusterRole;
  ClusterRoleBinding: IClusterRoleBinding;
  ConfigMap: IConfigMap;
  CustomResourceDefinition: ICustomResourceDefinition;
  DaemonSet: IDaemonSet;
  Deployment: IDeployment;
  Job: IJob;
  PodDisruptionBudget: IPodDisruptionBudget;
  Role: IRole;
  RoleBinding: IRoleBinding;
  Service: IService;
  ServiceAccount: IServiceAccount;
}

export type Kind = keyof Kinds;

/** What an object needs for findKind to tell its kind and name. */
interface Named {
  readonly kind?: unknown;
  readonly metadata?: { readonly name?: string };
}

/** The first object of `kind` (named `name`, when given), as that kind; undefined when there is none. */
export function findKind<K extends Kind>(objects: readonly Named[], kind: K, name?: string): Kinds[K] | undefined {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  return found as Kinds[K] | undefined;
}

/** The first object of `kind` (named `name`, when given), as that kind; fails when there is none. */
export function getKind<K extends Kind>(objects: readonly Named[], kind: K, name?: string): Kinds[K] {
  const found = findKind(objects, kind, name);
  if (found === undefined) throw new Error(`no ${kind}${name === undefined ? '' : ` named ${name}`} among the objects`);
  return found;
}
