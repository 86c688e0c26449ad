import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { defaultPhase, phaseOf, setPhase } from '../core/rollout';
import { components } from '../components/registry';
import { ResolvedCluster } from './resolve';

export interface ClusterChartProps {
  /** The resolved profile: every number already decided, see `resolveProfile`. */
  readonly cluster: ResolvedCluster;
}

/**
 * One cluster's objects, each component in its own scope; synthesized into `dist/<cluster>/`, one
 * object per file. Every object carries its rollout phase; how it is delivered (Argo CD waves and
 * sync options, or kubectl commands) is added by the delivery, not here.
 */
export class ClusterChart extends Chart {
  public readonly cluster: ResolvedCluster;

  constructor(scope: Construct, props: ClusterChartProps) {
    super(scope, props.cluster.name, { disableResourceNameHashes: true });
    const c = props.cluster;
    this.cluster = c;
    const resolved = c as unknown as Readonly<Record<string, unknown>>;
    for (const component of components()) {
      const value = resolved[component.key];
      if (value === undefined) continue;
      const componentScope = new Construct(this, component.key);
      component.render(componentScope, value, c.context);
      for (const o of componentScope.node.findAll()) {
        if (o instanceof ApiObject && phaseOf(o) === undefined) setPhase(o, component.phases?.[o.kind] ?? defaultPhase(o.kind));
      }
    }
  }
}
