/**
 * Rules that span fields of a schema-valid profile: the cluster-wide ones here, then every
 * component's own rules against the cluster context. Sizing rules run later, in resolve.
 */
import { ARGOCD_DEFAULTS, isInCluster } from '../core/argocd';
import { parseCidr } from '../core/cidr';
import { ClusterContext, PreviousRender } from '../core/cluster';
import { error, FieldPath, Finding } from '../core/findings';
import { KUBE_PROXY_DEFAULTS } from '../components/kube-proxy/facts';
import { components, ComponentSections } from '../components/registry';
import { ClusterProfile } from './schema';

/** Folders of dist/ that are not clusters: a cluster of that name would be mixed into them. */
export const RESERVED_NAMES = ['reviews', 'argocd', 'values', 'netscale-fleet'] as const;

/**
 * What every component knows of the cluster, from the profile's cluster-wide fields and, where
 * known, what the last synth rendered for it.
 */
export function clusterContext(profile: ClusterProfile, previous?: PreviousRender): ClusterContext {
  const spec = profile.spec;
  const sections = spec as ComponentSections;
  return {
    name: profile.metadata.name,
    platform: spec.platform,
    cni: spec.cni,
    kubernetesVersion: spec.kubernetesVersion,
    nodes: spec.nodes,
    cpuPerNode: spec.cpuPerNode,
    maxPodsPerNode: spec.maxPodsPerNode,
    region: spec.region,
    networkPolicy: spec.networkPolicy ?? 'direct',
    networkPolicyGiven: spec.networkPolicy !== undefined,
    serviceCidr: spec.serviceCidr,
    clusterCidr: spec.kubeProxy?.clusterCIDR,
    nodeCidr: spec.nodeCidr,
    argocd: spec.argocd !== undefined,
    monitoring: spec.monitoring !== undefined,
    argocdInCluster: spec.argocd !== undefined && isInCluster(spec.argocd.destination),
    argocdNamespace: spec.argocd ? (spec.argocd.namespace ?? ARGOCD_DEFAULTS.namespace) : undefined,
    kubeProxyReplaced: components().some((c) => c.replacesKubeProxy?.(sections[c.key], spec.cni) ?? false),
    calicoInstall: spec.calico?.install,
    calicoVersion: spec.calico?.version,
    kubeProxyMode: spec.kubeProxy ? (spec.kubeProxy.mode ?? KUBE_PROXY_DEFAULTS.mode) : undefined,
    nodeKernel: spec.nodeKernel,
    previous,
  };
}

export function checkProfile(profile: ClusterProfile, previous?: PreviousRender): Finding[] {
  const spec = profile.spec;
  const at = (...p: FieldPath): FieldPath => ['spec', ...p];
  const out: Finding[] = [];

  if ((RESERVED_NAMES as readonly string[]).includes(profile.metadata.name)) {
    out.push(
      error(
        ['metadata', 'name'],
        `"${profile.metadata.name}" names a folder netscale keeps in dist/ (${RESERVED_NAMES.join(', ')}): choose another cluster name`,
      ),
    );
  }
  if (spec.platform === 'ack' && spec.region === undefined) {
    out.push(
      error(at('region'), 'is required on ACK: it names the VPC registry of the Typha image (registry-vpc.<region>.aliyuncs.com), e.g. cn-shanghai'),
    );
  }
  if (spec.platform !== 'ack' && spec.region !== undefined) {
    out.push(error(at('region'), `applies to ACK only (platform is ${spec.platform}): remove it`));
  }
  if (spec.argocd?.destination?.server !== undefined && spec.argocd.destination.name !== undefined) {
    out.push(error(at('argocd', 'destination'), 'takes a server URL or a cluster name, not both'));
  }
  if (spec.argocd?.maxUpdate !== undefined && spec.argocd.stage === undefined) {
    out.push(error(at('argocd', 'maxUpdate'), 'paces a rollout stage: set spec.argocd.stage, or remove it'));
  }
  if (spec.argocd?.stage !== undefined) {
    // Both are written into the ApplicationSet's template, whose strings Argo CD runs as Go templates.
    for (const field of ['repoURL', 'targetRevision'] as const) {
      if (spec.argocd[field]?.includes('{{'))
        out.push(
          error(
            at('argocd', field),
            'must not contain "{{" in a staged cluster: the ApplicationSet template is a Go template, where "{{" starts an action',
          ),
        );
    }
  }
  for (const field of ['serviceCidr', 'nodeCidr'] as const) {
    const text = spec[field];
    if (text === undefined) continue;
    const parsed = parseCidr(text);
    if (!parsed.ok) out.push(error(at(field), `${text} ${parsed.reason}`));
  }

  const ctx = clusterContext(profile, previous);
  const sections = spec as ComponentSections;
  for (const component of components()) out.push(...component.check(sections[component.key], ctx));
  return out;
}
