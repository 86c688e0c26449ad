/**
 * Every component netscale renders, in the order the pipeline visits them: the resolve loop, the
 * profile rules, the cluster chart and the review iterate over this list. Adding a component is
 * adding it here (and its section schema to the profile).
 */
import { calicoComponent } from './calico/component';
import { ciliumComponent } from './cilium/component';
import { Component } from './component';
import { kubeProxyComponent } from './kube-proxy/component';
import { monitoringComponent } from './monitoring/component';
import { terwayComponent } from './terway/component';
import { typhaComponent } from './typha/component';

// Monitoring comes last: its alerts take their thresholds from what the others resolved.
export const COMPONENTS = [typhaComponent, terwayComponent, kubeProxyComponent, calicoComponent, ciliumComponent, monitoringComponent] as const;

type Registered = (typeof COMPONENTS)[number];
export type ComponentKey = Registered['key'];

type ResolvedOf<C> = C extends Component<string, never, infer R> ? R : never;
type SectionOf<C> = C extends Component<string, infer S, unknown> ? S : never;

/** What each component resolved to, by key; absent where the component renders nothing. */
export type ResolvedComponents = { readonly [C in Registered as C['key']]?: ResolvedOf<C> };
/** The profile's sections, by key. */
export type ComponentSections = { readonly [C in Registered as C['key']]?: SectionOf<C> };

/** The registry seen without its per-component types, for loops. */
export function components(): ReadonlyArray<Component<ComponentKey, unknown, unknown>> {
  return COMPONENTS as unknown as ReadonlyArray<Component<ComponentKey, unknown, unknown>>;
}
