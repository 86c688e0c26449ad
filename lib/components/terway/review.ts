/** What the review says of an eni-config change: the settings against the pasted ones, the checks after it, and its revert. */
import { Decision } from '../../core/decision';
import { ChangeArea, diffSettings, listSettings, RollbackNote, VerifyStep } from '../../core/review-parts';
import { DEFAULT_MAX_POOL_SIZE, DEFAULT_MIN_POOL_SIZE, ENI_CONFIG_NAME, TERWAY_CNI_CONF_KEY, TERWAY_DAEMONSET } from './facts';
import type { TerwaySpec } from './schema';
import { eniConfigData, TerwayEniConfigProps } from './terway-eni-config';

/** The profile field behind each eni_conf key netscale types. */
const ENI_CONF_FIELD: Readonly<Record<string, string>> = {
  vswitches: 'vswitches',
  security_group: 'securityGroups',
  security_groups: 'securityGroups',
  service_cidr: 'serviceCidr',
  min_pool_size: 'pool',
  max_pool_size: 'pool',
  vswitch_selection_policy: 'vswitchSelectionPolicy',
  eni_tags: 'eniTags',
  credential_path: 'credentialPath',
  ip_stack: 'ipStack',
};

const AREA = `ConfigMap kube-system/${ENI_CONFIG_NAME}`;

function eniConfWhy(setting: string, removed: boolean, t: TerwaySpec, decisions: readonly Decision[]): string {
  const key = setting.split('.')[0];
  if (removed)
    return key === 'security_group' || key === 'security_groups'
      ? "the profile's security groups are written under the other spelling"
      : 'not in what netscale renders';
  if (key === 'min_pool_size' || key === 'max_pool_size')
    return decisions.find((d) => d.name === 'IP pool watermarks')?.rule ?? 'the pool watermarks';
  if (key === 'vswitch_selection_policy') return decisions.find((d) => d.name === 'vSwitch selection')?.rule ?? 'the selection policy';
  const field = ENI_CONF_FIELD[key];
  if (field !== undefined && t[field as keyof TerwaySpec] !== undefined) return `set in the profile (spec.terway.${field})`;
  if (t.eniConf?.[key] !== undefined) return 'set in the profile (spec.terway.eniConf)';
  if (key === 'service_cidr') return 'spec.serviceCidr';
  return "netscale's default, where the base has none";
}

export function terwayChanges(t: TerwaySpec, props: TerwayEniConfigProps, decisions: readonly Decision[]): ChangeArea[] {
  const data = eniConfigData(props);
  const out: ChangeArea[] = [];
  if (data.eni_conf !== undefined) {
    const next = JSON.parse(data.eni_conf) as unknown;
    const where = `${AREA}, eni_conf`;
    if (t.baseEniConf !== undefined) {
      const { changes, kept } = diffSettings(JSON.parse(t.baseEniConf), next, (s, removed) => eniConfWhy(s, removed, t, decisions));
      out.push({ where, base: 'spec.terway.baseEniConf', changes, kept });
    } else {
      out.push({
        where,
        unknown: "the profile gives no terway.baseEniConf, so eni_conf is rendered whole from the profile's fields",
        changes: listSettings(next, (s) => eniConfWhy(s, false, t, decisions)),
      });
    }
  }
  if (data[TERWAY_CNI_CONF_KEY] !== undefined && t.baseCniConf !== undefined) {
    const { changes, kept } = diffSettings(JSON.parse(t.baseCniConf), JSON.parse(data[TERWAY_CNI_CONF_KEY]), (s) =>
      t.cniConf?.[s.split('.')[0]] !== undefined ? 'set in the profile (spec.terway.cniConf)' : 'spec.terway.datapath',
    );
    out.push({ where: `${AREA}, ${TERWAY_CNI_CONF_KEY}`, base: 'spec.terway.baseCniConf', changes, kept });
  }
  const keys = Object.entries(data).filter(([key]) => key !== 'eni_conf' && key !== TERWAY_CNI_CONF_KEY);
  if (keys.length > 0) {
    const why: Record<string, string> = {
      felix_relay_service: 'networkPolicy: relay: Felix reaches the API server through Typha',
      disable_network_policy: props.disableNetworkPolicy
        ? 'networkPolicy: disabled: Terway runs no policy agent'
        : 'networkPolicy is set: Terway enforces NetworkPolicy',
      in_cluster_loadbalance: 'set in the profile (spec.terway.inClusterLoadBalance)',
    };
    out.push({
      where: `${AREA}, keys`,
      unknown: "the profile holds no copy of eni-config's own keys; see them with `kubectl -n kube-system get cm eni-config -o yaml`",
      changes: keys.map(([key, value]) => ({ setting: key, next: JSON.stringify(value), why: why[key] ?? 'set in the profile' })),
    });
  }
  return out;
}

export function terwayVerify(t: TerwaySpec, props: TerwayEniConfigProps): VerifyStep[] {
  const component = 'Terway';
  const pod = `a ${TERWAY_DAEMONSET} pod (\`kubectl -n kube-system get pods -l app=${TERWAY_DAEMONSET} -o wide\`)`;
  const out: VerifyStep[] = [
    {
      component,
      check: `\`kubectl -n kube-system rollout status ds/${TERWAY_DAEMONSET}\``,
      healthy: "`successfully rolled out`: every node's Terway read the new eni-config",
    },
  ];
  if (props.eniConf) {
    const min = props.eniConf.minPoolSize ?? DEFAULT_MIN_POOL_SIZE;
    const max = props.eniConf.maxPoolSize ?? DEFAULT_MAX_POOL_SIZE;
    out.push(
      {
        component,
        check: `on a node, through ${pod}: \`kubectl -n kube-system exec <pod> -c terway -- terway-cli mapping\``,
        healthy:
          'each ENI lists its IPs: a row with a pod is used, a row without one is idle; the idle IPs stay between ' +
          `min_pool_size ${min} and max_pool_size ${max} once pods settle` +
          (t.vswitches ? ", and new IPs come from the vSwitches of the node's zone with the most free addresses" : ''),
      },
      {
        component,
        check:
          '`kubectl get events -A --field-selector reason=FailedCreatePodSandBox` and `kubectl get nodes -o ' +
          'custom-columns=NAME:.metadata.name,IP:\'.status.conditions[?(@.type=="SufficientIP")].status\'`',
        healthy: 'no event mentions `InvalidVSwitchId.IpNotEnough`, and every node shows `True`: new pods get their addresses',
      },
    );
  }
  if (props.disableNetworkPolicy === true) {
    out.push({
      component,
      check: `\`kubectl -n kube-system logs <pod> -c policy\` for ${pod}`,
      healthy: 'no calico-felix start: the policy container only answers health checks, and NetworkPolicies are not enforced',
    });
  }
  return out;
}

export function terwayRollback(t: TerwaySpec, props: TerwayEniConfigProps): RollbackNote {
  const revert =
    `eni-config gets its previous keys back (server-side apply drops the keys netscale no longer renders) ` +
    `and ds/${TERWAY_DAEMONSET} restarts again at its pace; pods keep the addresses they have.`;
  const points: string[] = [];
  if (props.eniConf && t.baseEniConf === undefined) {
    points.push(
      'without baseEniConf, eni_conf is replaced whole once synced: the keys the cluster had and the profile does not give are gone, and no ' +
        'revert brings them back. Save it before the sync: `kubectl -n kube-system get cm eni-config -o yaml > eni-config.before.yaml`',
    );
  }
  if (t.vswitches) {
    points.push(
      'pods that got addresses from a vSwitch this change adds keep them after a revert, which only stops new ones: remove such a vSwitch ' +
        'from the VPC only once no pod holds its addresses',
    );
  }
  return { component: 'Terway', revert, ...(points.length > 0 ? { pointOfNoReturn: points.join('; ') } : {}) };
}
