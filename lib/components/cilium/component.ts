/** Cilium as a component: the kube-proxy replacement's values, rules and review notes, and its delivery. */
import { ClusterContext } from '../../core/cluster';
import { error, Finding, warning } from '../../core/findings';
import { defineComponent, ResolveRecord } from '../component';
import { CiliumKubeProxyless } from './cilium-kube-proxyless';
import { CILIUM_AGENT_DAEMONSET, CILIUM_AGENT_MAX_UNAVAILABLE, CILIUM_NAMESPACE, CiliumDelivery, CiliumValues } from './facts';
import { ciliumChanges, ciliumReviewNotes, ciliumRollback, ciliumVerify } from './notes';
import { checkCilium } from './rules';
import type { CiliumSpec } from './schema';
import { ciliumValues } from './values';
import { REFERENCES } from '../../core/references';

export interface ResolvedCilium {
  readonly version: string;
  readonly delivery: CiliumDelivery;
  readonly values: CiliumValues;
}

/** How the chart reaches the cluster when the profile does not say. */
export function ciliumDelivery(section: Pick<CiliumSpec, 'delivery'> | undefined, ctx: Pick<ClusterContext, 'platform' | 'argocd'>): CiliumDelivery {
  return section?.delivery ?? (ctx.platform === 'k3s' ? 'k3s' : ctx.argocd ? 'argocd' : 'values');
}

export const ciliumComponent = defineComponent({
  key: 'cilium',
  replacesKubeProxy: (section: CiliumSpec | undefined, cni) => cni === 'cilium' || section !== undefined,
  check(section: CiliumSpec | undefined, ctx: ClusterContext): Finding[] {
    const out: Finding[] = [];
    if (ctx.cni === 'cilium' && ctx.networkPolicy !== 'direct') {
      out.push(
        error(
          ['spec', 'networkPolicy'],
          `${ctx.networkPolicy} does not apply to Cilium, which enforces NetworkPolicy itself without Felix or Typha: use direct (or leave it out)`,
        ),
      );
    }
    if (section === undefined) return out;
    if (ctx.cni !== 'cilium')
      out.push(error(['spec', 'cilium'], `configures Cilium, but the profile's cni is ${ctx.cni}: set cni: cilium or remove the section`));
    else
      out.push(...checkCilium(section, { nodes: ctx.nodes, platform: ctx.platform, delivery: ciliumDelivery(section, ctx), nodeCidr: ctx.nodeCidr }));
    if (section.delivery === 'argocd' && !ctx.argocd) {
      out.push(
        error(
          ['spec', 'cilium', 'delivery'],
          'argocd renders a Cilium Application into dist/argocd/, which needs spec.argocd (repoURL, destination): add it or use values',
        ),
      );
    }
    const delivery = ciliumDelivery(section, ctx);
    if (ctx.cni === 'cilium' && ctx.argocdInCluster && (delivery === 'argocd' || delivery === 'k3s')) {
      const what = delivery === 'argocd' ? 'the Cilium Application' : 'the Cilium HelmChart in the cluster folder';
      out.push(
        warning(
          ['spec', 'argocd'],
          `Argo CD runs in this cluster (no destination elsewhere) and ` +
            `syncs ${what}, so it manages its own network: a values change that breaks the datapath also cuts Argo CD off, and it cannot ` +
            `sync the fix. ` +
            `The review gives the commands to recover by hand; or set spec.argocd.destination and manage this cluster from an Argo CD that ` +
            `runs elsewhere`,
          [REFERENCES.ciliumArgocd],
        ),
      );
    }
    return out;
  },
  resolve(section: CiliumSpec | undefined, ctx: ClusterContext, r: ResolveRecord): ResolvedCilium | undefined {
    if (ctx.cni !== 'cilium' || section === undefined) return undefined;
    const delivery = ciliumDelivery(section, ctx);
    const { values, decisions } = ciliumValues(section);
    const why = section.delivery
      ? 'set in the profile'
      : ctx.platform === 'k3s'
        ? 'k3s: the helm controller installs it at bootstrap'
        : ctx.argocd
          ? 'spec.argocd is set'
          : 'no delivery given: a values file for helm install';
    r.decisions.push({ name: 'Cilium delivery', value: delivery, rule: why });
    r.decisions.push(...decisions.map((d) => ({ ...d, name: `Cilium ${d.name}` })));
    const argocd = ctx.argocd ? { namespace: ctx.argocdNamespace ?? 'argocd', inCluster: ctx.argocdInCluster } : undefined;
    r.notes.push(...ciliumReviewNotes(section, { delivery, cluster: ctx.name, platform: ctx.platform, argocd }));
    r.changes.push(ciliumChanges(section));
    r.verify.push(...ciliumVerify(section));
    r.rollback.push(ciliumRollback(section, delivery));
    // rollOutCiliumPods: a values change rolls the agents at the DaemonSet's own maxUnavailable.
    r.waits.push({
      kind: 'DaemonSet',
      name: CILIUM_AGENT_DAEMONSET,
      namespace: CILIUM_NAMESPACE,
      why: 'the cilium-config checksum on the pod template changes with the values (rollOutCiliumPods)',
      maxUnavailable: agentMaxUnavailable(values),
      after: 'chart',
    });
    return { version: section.version, delivery, values };
  },
  render(scope, resolved: ResolvedCilium) {
    // In the cluster's own folder only the k3s HelmChart; an Argo CD Application lives with Argo CD.
    if (resolved.delivery === 'k3s')
      new CiliumKubeProxyless(scope, 'Cilium', { version: resolved.version, values: resolved.values, delivery: 'k3s' });
  },
});

/** The agents' maxUnavailable: from updateStrategy in the values, else the chart's own. */
function agentMaxUnavailable(values: CiliumValues): string {
  const given = (values as { updateStrategy?: { rollingUpdate?: { maxUnavailable?: unknown } } }).updateStrategy?.rollingUpdate?.maxUnavailable;
  return typeof given === 'number' || typeof given === 'string' ? String(given) : CILIUM_AGENT_MAX_UNAVAILABLE;
}
