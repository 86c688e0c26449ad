import { Construct } from 'constructs';
import { PrometheusRule, PrometheusRuleSpecGroupsRulesExpr } from '../../../imports/monitoring.coreos.com';
import { Problem, throwOnErrors } from '../../core/findings';
import { NetscaleAlert } from './alert-rules';
import { MONITORING_DEFAULTS } from './facts';

export interface NetscaleAlertsProps {
  /** Value of the `cluster` label every alert carries. */
  readonly cluster: string;
  /** The alerts, e.g. from `netscaleAlerts()`; grouped by their `group` in the order given. */
  readonly alerts: readonly NetscaleAlert[];
  /**
   * Name of the PrometheusRule.
   * @default 'netscale-alerts'
   */
  readonly name?: string;
  /**
   * Namespace of the PrometheusRule: one the Prometheus operator reads rules from.
   * @default 'kube-system'
   */
  readonly namespace?: string;
  /**
   * Labels of the PrometheusRule, so a Prometheus's ruleSelector picks it (kube-prometheus-stack:
   * `release: <its Helm release>`).
   * @default - only app.kubernetes.io/managed-by
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Where each alert's explanation is, as the `review` annotation.
   * @default - no review annotation
   */
  readonly review?: string;
}

/** A Prometheus rule file: what the PrometheusRule's spec holds and what `promtool check rules` reads. */
export interface RuleGroups {
  readonly groups: ReadonlyArray<{
    readonly name: string;
    readonly rules: ReadonlyArray<{ alert: string; expr: string; for: string; labels: Record<string, string>; annotations: Record<string, string> }>;
  }>;
}

/** The longest `for:` an alert may wait: past it, a problem has been real for too long to learn of it. */
export const MAX_FOR_MINUTES = 15;

/**
 * netscale's alerts as a `monitoring.coreos.com/v1` PrometheusRule for the Prometheus operator.
 * Every rule carries the labels `cluster` and `severity`. The groups use only the fields a plain
 * Prometheus rule file has (no group labels or query offset), so the same groups pass `promtool`.
 */
export class NetscaleAlerts extends Construct {
  public readonly rule: PrometheusRule;

  constructor(scope: Construct, id: string, props: NetscaleAlertsProps) {
    super(scope, id);
    throwOnErrors('NetscaleAlerts', netscaleAlertsProblems(props));
    const groups = alertRuleGroups(props).groups;
    this.rule = new PrometheusRule(this, 'Resource', {
      metadata: {
        name: props.name ?? MONITORING_DEFAULTS.ruleName,
        namespace: props.namespace ?? MONITORING_DEFAULTS.namespace,
        labels: { ...props.labels, 'app.kubernetes.io/managed-by': 'netscale' },
      },
      spec: {
        groups: groups.map((g) => ({
          name: g.name,
          rules: g.rules.map((r) => ({ ...r, expr: PrometheusRuleSpecGroupsRulesExpr.fromString(r.expr) })),
        })),
      },
    });
  }
}

/** The rule groups the construct renders, as a plain rule file. */
export function alertRuleGroups(props: Pick<NetscaleAlertsProps, 'cluster' | 'alerts' | 'review'>): RuleGroups {
  const names = [...new Set(props.alerts.map((a) => a.group))];
  return {
    groups: names.map((name) => ({
      name,
      rules: props.alerts
        .filter((a) => a.group === name)
        .map((a) => ({
          alert: a.alert,
          expr: a.expr,
          for: a.for,
          labels: { cluster: props.cluster, severity: a.severity },
          annotations: { summary: a.summary, description: a.description, ...(props.review ? { review: props.review } : {}) },
        })),
    })),
  };
}

/** What the constructor refuses, with paths relative to the props. */
export function netscaleAlertsProblems(props: Pick<NetscaleAlertsProps, 'alerts' | 'cluster'>): Problem[] {
  const out: Problem[] = [];
  if (props.cluster === '') out.push({ severity: 'error', path: ['cluster'], message: 'must name the cluster: every alert carries it' });
  const seen = new Set<string>();
  props.alerts.forEach((a, i) => {
    if (seen.has(a.alert)) out.push({ severity: 'error', path: ['alerts', i, 'alert'], message: `${a.alert} appears twice` });
    seen.add(a.alert);
    const m = /^(\d+)m$/.exec(a.for);
    if (!m || Number(m[1]) > MAX_FOR_MINUTES)
      out.push({ severity: 'error', path: ['alerts', i, 'for'], message: `must be whole minutes up to ${MAX_FOR_MINUTES}m (got ${a.for})` });
  });
  return out;
}
