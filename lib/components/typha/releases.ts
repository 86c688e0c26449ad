/**
 * What changes with the Typha release: the API rights it needs, the connection limit it sets
 * itself and the settings it reads. Each fact names the upstream file it was read in.
 */
import type { k8s } from 'cdk8s-plus-27';
import { CalicoRelease, parseCalicoRelease, releaseAtLeast } from '../calico/facts';
import { Citation, REFERENCES } from '../../core/references';

/** The release an image is tagged with (`...:v3.28.5`), or undefined (a digest, a custom tag). */
export function typhaReleaseOfImage(image: string): CalicoRelease | undefined {
  const tag = /:([^:/@]+)$/.exec(image)?.[1];
  return tag === undefined ? undefined : parseCalicoRelease(tag);
}

type Rule = k8s.PolicyRule;

/**
 * The ClusterRole Typha needs, release by release, as the Tigera operator grants its own Typha
 * (tigera/operator pkg/render/typha.go, typhaRole: v1.34 for Calico 3.28, v1.36 for 3.29, v1.38 for
 * 3.30, v1.40 for 3.31, v1.42 for 3.32). Typha serves Felix, BIRD/confd and the node IP allocator,
 * so it reads Calico's resources, patches node status and does IPAM bookkeeping. From 3.29 the
 * Felix syncer lists tiers and admin network policies, from 3.30 staged policies and baseline admin
 * network policies too (libcalico-go lib/backend/syncersv1/felixsyncer/felixsyncerv1.go): a Typha
 * that may not list them never reports in sync, so it never becomes Ready.
 */
export function typhaClusterRoleRules(release: CalicoRelease | undefined): Rule[] {
  // Unknown releases (a digest) get the newest rules: an unneeded right harms less than a missing one.
  const at = (version: string) => release === undefined || releaseAtLeast(release, version);
  const v329 = at('3.29.0');
  const v330 = at('3.30.0');
  const v332 = at('3.32.0');
  // 3.32 serves Calico's API as projectcalico.org CRDs next to crd.projectcalico.org.
  const calico = v332 ? ['projectcalico.org', 'crd.projectcalico.org'] : ['crd.projectcalico.org'];
  const policyApi = [
    ...(v332 ? ['clusternetworkpolicies'] : []),
    ...(v329 ? ['adminnetworkpolicies'] : []),
    ...(v330 ? ['baselineadminnetworkpolicies'] : []),
  ];
  const watched = [
    'bgpconfigurations',
    'bgppeers',
    'bgpfilters',
    'blockaffinities',
    'caliconodestatuses',
    'clusterinformations',
    'felixconfigurations',
    'globalnetworkpolicies',
    ...(v330 ? ['stagedglobalnetworkpolicies'] : []),
    'networkpolicies',
    ...(v330 ? ['stagedkubernetesnetworkpolicies', 'stagednetworkpolicies'] : []),
    'globalnetworksets',
    'hostendpoints',
    'ipamblocks',
    'ippools',
    'ipreservations',
    'networksets',
    ...(v329 ? ['tiers'] : []),
  ];
  return [
    { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
    { apiGroups: [''], resources: ['pods', 'nodes', 'namespaces'], verbs: ['get'] },
    { apiGroups: [''], resources: ['endpoints', 'services'], verbs: ['watch', 'list', 'get'] },
    { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch', 'update'] },
    { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['watch', 'list'] },
    ...(policyApi.length > 0 ? [{ apiGroups: ['policy.networking.k8s.io'], resources: policyApi, verbs: ['watch', 'list'] }] : []),
    { apiGroups: [''], resources: ['pods', 'namespaces', 'serviceaccounts'], verbs: ['watch', 'list'] },
    { apiGroups: [''], resources: ['pods/status'], verbs: ['patch'] },
    { apiGroups: calico, resources: watched, verbs: ['get', 'list', 'watch'] },
    // calico/node's start-up migration code still reads the old global config kinds.
    { apiGroups: calico, resources: ['globalbgpconfigs', 'globalfelixconfigs'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: calico, resources: ['clusterinformations', 'felixconfigurations', 'ippools'], verbs: ['create', 'update'] },
    ...(v329 ? [{ apiGroups: calico, resources: ['tiers'], verbs: ['create'] }] : []),
    { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: calico, resources: ['blockaffinities', 'ipamblocks', 'ipamhandles'], verbs: ['get', 'list', 'create', 'update', 'delete'] },
    { apiGroups: calico, resources: [v332 ? 'ipamconfigurations' : 'ipamconfigs'], verbs: ['get'] },
    { apiGroups: calico, resources: ['blockaffinities'], verbs: ['watch'] },
    ...(v332 ? [{ apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstancemigrations'], verbs: ['get', 'list', 'watch'] }] : []),
  ];
}

/** How a Typha release caps the Felix connections one replica accepts. */
export interface TyphaConnectionLimits {
  /**
   * The candidate limit is multiplied by the syncer types served (felix, bgp, tunnel-ip-allocation,
   * node-status); 1 where the release has no multiplier.
   */
  readonly multiplier: number;
  /** MaxConnectionsLowerLimit: the floor. */
  readonly lower: number;
  /** MaxConnectionsUpperLimit: the cap, and what a lone replica takes. */
  readonly upper: number;
  /** Where it was read. */
  readonly source: Citation;
}

/**
 * Typha sets its own connection limit to `multiplier x (1 + nodes x 120 / (replicas - 1) / 100)`
 * (integer division), clamped to [lower, upper] (typha/pkg/k8s/rebalance.go). Releases up to 3.11,
 * among them v3.5.8, the one ACK publishes, have no multiplier and a floor of 100
 * (projectcalico/typha@v3.5.8 pkg/k8s/rebalance.go, pkg/config/config_params.go); from 3.23 the
 * multiplier is the number of syncer types, 4 (commit 854161c, typha/pkg/daemon/daemon.go). Releases
 * in between are not modelled: netscale uses the current rule for them.
 */
export function typhaConnectionLimits(release: CalicoRelease | undefined): TyphaConnectionLimits {
  if (release !== undefined && !releaseAtLeast(release, '3.12.0')) {
    return { multiplier: 1, lower: 100, upper: 10000, source: [REFERENCES.typha358Rebalance] };
  }
  return { multiplier: 4, lower: 400, upper: 10000, source: [REFERENCES.typhaRebalance] };
}

/**
 * TYPHA_SHUTDOWNTIMEOUTSECS (graceful hand-over of connections on shutdown) exists from Typha 3.25
 * (commit f145093 "Add ShutdownTimeout parameter to Typha"); older releases log "Ignoring unknown
 * config param" for it (projectcalico/typha@v3.5.8 pkg/config/config_params.go).
 */
export function typhaReadsShutdownTimeout(release: CalicoRelease | undefined): boolean {
  return release === undefined || releaseAtLeast(release, '3.25.0');
}
