/**
 * What a component is to the pipeline: its profile section's rules, its resolve step and its
 * constructs. The registry lists them; the profile rules, the resolve loop, the cluster chart and
 * the review iterate over it instead of wiring each component by hand.
 */
import { Construct } from 'constructs';
import { ClusterContext, Cni } from '../core/cluster';
import { Decision } from '../core/decision';
import { Finding } from '../core/findings';
import { ChangeArea, RollbackNote, VerifyStep } from '../core/review-parts';
import { RestartNeed, RolloutPhase, RolloutWait } from '../core/rollout';

/** What a component's resolve step adds to the cluster's review as it resolves. */
export interface ResolveRecord {
  /** Problems sizing found (a capped count, a full zone). */
  readonly findings: Finding[];
  /** Every computed or defaulted value that shapes dist/, with its rule. */
  readonly decisions: Decision[];
  /** What a human still has to do beyond applying dist/ and the restarts. */
  readonly steps: string[];
  /** DaemonSets to restart after their configuration changed, in this order. */
  readonly restarts: RestartNeed[];
  /** Workloads that roll by themselves during the rollout, which it waits for. */
  readonly waits: RolloutWait[];
  /** Further review text (Markdown lines), e.g. Cilium's install notes. */
  readonly notes: string[];
  /**
   * What the rollout does to the cluster beyond the objects and restarts (Markdown lines), e.g. what
   * each node runs while a data plane switches, and how to roll back: the review's rollout ends with it.
   */
  readonly rollout: string[];
  /** Checks after the rollout that show the change worked. */
  readonly verify: VerifyStep[];
  /** What a revert does and cannot undo. */
  readonly rollback: RollbackNote[];
  /** The settings the change sets, against the cluster's current ones where the profile gives them. */
  readonly changes: ChangeArea[];
}

export function newResolveRecord(): ResolveRecord {
  return { findings: [], decisions: [], steps: [], restarts: [], waits: [], notes: [], rollout: [], verify: [], rollback: [], changes: [] };
}

/**
 * What the components before one in the registry resolved, by key: a component built on others'
 * numbers (the alerts, on the capacity model) reads them here instead of sizing them again.
 */
export type EarlierResolved = Readonly<Record<string, unknown>>;

export interface Component<Key extends string, Section, Resolved> {
  /** The field of `spec` that holds the component's section. */
  readonly key: Key;
  /** Replaces kube-proxy in this cluster, so nothing may tune kube-proxy. */
  replacesKubeProxy?(section: Section | undefined, cni: Cni): boolean;
  /** Every problem of the section against the cluster, with paths from the profile's root. */
  check(section: Section | undefined, ctx: ClusterContext): Finding[];
  /** Defaults and sizing for a checked profile; undefined when the component renders nothing here. */
  resolve(section: Section | undefined, ctx: ClusterContext, record: ResolveRecord, earlier: EarlierResolved): Resolved | undefined;
  /** The component's constructs, from what resolve gave. */
  render(scope: Construct, resolved: Resolved, ctx: ClusterContext): void;
  /** Rollout phase by kind where the kind alone does not say (`defaultPhase`). */
  readonly phases?: Readonly<Record<string, RolloutPhase>>;
}

/** Keeps the key a literal type, so the registry can type the resolved cluster by component. */
export function defineComponent<Key extends string, Section, Resolved>(
  component: Component<Key, Section, Resolved>,
): Component<Key, Section, Resolved> {
  return component;
}
