import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import {
  ApplicationSet,
  ApplicationSetSpecStrategyRollingSyncStepsMaxUpdate,
  toJson_ApplicationSetSpecGenerators,
  toJson_ApplicationSetSpecStrategy,
  toJson_ApplicationSetSpecSyncPolicy,
} from '../../../imports/applicationset-argoproj.io';
import { ARGOCD_DEFAULTS, DEFAULT_MAX_UPDATE } from '../../core/argocd';
import { SYNC_OPTIONS_ANNOTATION } from './sync-options';

/** Label of every generated Application: the RollingSync step that selects it. */
export const STAGE_LABEL = 'netscale.dev/stage';

/** One step of the rollout: the Applications of one stage. */
export interface RolloutStep {
  readonly stage: number;
  /**
   * How many of the stage's Applications sync at once: a count, or a percentage of the stage
   * (rounded down, at least one above 0%). 0 holds the stage: its Applications wait for a hand sync.
   * @default '100%'
   */
  readonly maxUpdate?: number | string;
}

/** The Application one element generates, as Argo CD reads it, before the element's values. */
export interface ApplicationTemplate {
  readonly metadata: { readonly name: string; readonly labels?: Readonly<Record<string, string>> };
  /** An Application's spec as Kubernetes JSON (`Application.toJson().spec`); strings may hold `{{.parameter}}`. */
  readonly spec: Readonly<Record<string, unknown>>;
}

export interface StagedApplicationSetProps {
  /** Name of the ApplicationSet. */
  readonly name: string;
  /**
   * Namespace Argo CD runs in: the ApplicationSet and the Applications it generates live there.
   * @default 'argocd'
   */
  readonly namespace?: string;
  /** The Application each element generates; string fields are Go templates over the element. */
  readonly template: ApplicationTemplate;
  /**
   * Fields of the Application set whole from an element's parameter, by dotted path, e.g.
   * `{ 'spec.destination': 'destination' }`: objects, which a string template cannot carry.
   * @default - none
   */
  readonly objectParameters?: Readonly<Record<string, string>>;
  /** One per Application: its stage and the parameters the template uses. */
  readonly elements: ReadonlyArray<{ readonly stage: number } & Readonly<Record<string, unknown>>>;
  /** The stages in the order they roll out, each matching at least one element. */
  readonly steps: readonly RolloutStep[];
}

/**
 * An Argo CD ApplicationSet that rolls a change out one stage after another (Progressive Syncs,
 * `strategy: RollingSync`): a list generator with one element per Application, the template
 * labelled with the element's stage, and one step per stage matching exactly that label. Each step
 * syncs only once every Application of the earlier steps is Healthy.
 *
 * Upstream behaviour it relies on (argoproj/argo-cd):
 * - applicationset/progressivesync/progressive_sync.go: steps select generated Applications by
 *   label; a step with no Application makes the rollout config invalid; RollingSync turns the
 *   generated Applications' automated sync off and syncs them itself with the template's prune,
 *   retry and sync options.
 * - applicationset/utils/utils.go (RenderTemplateParams): without `preserveResourcesOnDeletion`
 *   every generated Application gets the resources finalizer, and deleting it would delete what it
 *   synced; for a network that is an outage, so it is always set.
 * - applicationset/controllers/template/patch.go: `templatePatch` is a strategic merge patch; it
 *   cannot merge into `helm.valuesObject` (a RawExtension, argo-cd issue #22850), only add it, so
 *   object parameters are left out of the template and the patch adds them whole.
 * - applicationset/utils/utils.go (ConvertYAMLToJSON): a patch starting with `{` is read as JSON,
 *   so `toJson` output needs no YAML parsing.
 */
export class StagedApplicationSet extends Construct {
  public readonly applicationSet: ApiObject;

  constructor(scope: Construct, id: string, props: StagedApplicationSetProps) {
    super(scope, id);
    checkSteps(props);
    const objectParameters = Object.entries(props.objectParameters ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    checkParameters(
      props,
      objectParameters.map(([, p]) => p),
    );

    const template = JSON.parse(JSON.stringify(props.template)) as {
      metadata: { name: string; labels?: Record<string, string> };
      spec: Record<string, unknown>;
    };
    for (const [path] of objectParameters) deletePath(template as unknown as Record<string, unknown>, path);
    // The CRD requires a destination; the patch fills it in.
    template.spec.destination ??= {};
    template.metadata.labels = { ...template.metadata.labels, [STAGE_LABEL]: '{{.stage}}' };

    const elements = props.elements.map((e) => ({ ...e, stage: String(e.stage) }));
    const strategy = toJson_ApplicationSetSpecStrategy({
      type: 'RollingSync',
      rollingSync: {
        steps: props.steps.map((s) => ({
          matchExpressions: [{ key: STAGE_LABEL, operator: 'In', values: [String(s.stage)] }],
          maxUpdate: maxUpdateOf(s.maxUpdate ?? DEFAULT_MAX_UPDATE),
        })),
      },
    });

    // The typed props carry the template's field names in TypeScript form (repoUrl); the template
    // is an Application's own JSON (repoURL), so the spec is assembled as JSON.
    this.applicationSet = new ApiObject(this, 'Resource', {
      ...ApplicationSet.GVK,
      metadata: {
        name: props.name,
        namespace: props.namespace ?? ARGOCD_DEFAULTS.namespace,
        labels: { 'app.kubernetes.io/managed-by': 'netscale' },
        // Every element lands in one object: client-side apply would copy it into an annotation
        // limited to 256 KiB; server-side apply keeps no such copy.
        annotations: { [SYNC_OPTIONS_ANNOTATION]: 'ServerSideApply=true' },
      },
      spec: {
        goTemplate: true,
        goTemplateOptions: ['missingkey=error'],
        generators: [toJson_ApplicationSetSpecGenerators({ list: { elements } })],
        strategy,
        syncPolicy: toJson_ApplicationSetSpecSyncPolicy({ preserveResourcesOnDeletion: true }),
        template,
        ...(objectParameters.length > 0 ? { templatePatch: templatePatch(objectParameters) } : {}),
      },
    });
  }
}

function maxUpdateOf(value: number | string): ApplicationSetSpecStrategyRollingSyncStepsMaxUpdate {
  return typeof value === 'number'
    ? ApplicationSetSpecStrategyRollingSyncStepsMaxUpdate.fromNumber(value)
    : ApplicationSetSpecStrategyRollingSyncStepsMaxUpdate.fromString(value);
}

function checkSteps(props: StagedApplicationSetProps): void {
  const where = `StagedApplicationSet ${props.name}`;
  if (props.steps.length === 0) throw new Error(`${where}: needs at least one step`);
  props.steps.forEach((s, i) => {
    if (!Number.isInteger(s.stage) || s.stage < 0) throw new Error(`${where}: stage ${s.stage} must be a whole number, 0 or more`);
    if (i > 0 && s.stage <= props.steps[i - 1].stage)
      throw new Error(`${where}: steps must be in rising order of stage, each once (got ${props.steps.map((x) => x.stage).join(', ')})`);
    const m = s.maxUpdate;
    if (m !== undefined && !(typeof m === 'number' ? Number.isInteger(m) && m >= 0 : /^(100|[1-9]?[0-9])%$/.test(m))) {
      throw new Error(
        `${where}: maxUpdate of stage ${s.stage} must be a count (0 or more) or a percentage from 0% to 100% (got ${JSON.stringify(m)})`,
      );
    }
    // Argo CD flags a step that selects no Application as an invalid rollout config.
    if (!props.elements.some((e) => e.stage === s.stage)) throw new Error(`${where}: stage ${s.stage} has no element`);
  });
  const stages = new Set(props.steps.map((s) => s.stage));
  const strays = props.elements.filter((e) => !stages.has(e.stage));
  // RollingSync never syncs an Application that no step selects.
  if (strays.length > 0) throw new Error(`${where}: no step for stage ${[...new Set(strays.map((e) => e.stage))].join(', ')}`);
}

/** With `missingkey=error` Argo CD generates nothing when one element lacks a parameter: fail here instead. */
function checkParameters(props: StagedApplicationSetProps, objectParameters: readonly string[]): void {
  const used = new Set([...JSON.stringify(props.template).matchAll(/\{\{\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)].map((m) => m[1]));
  for (const p of objectParameters) used.add(p);
  props.elements.forEach((e, i) => {
    const missing = [...used].filter((p) => p !== 'stage' && e[p] === undefined);
    if (missing.length > 0) throw new Error(`StagedApplicationSet ${props.name}: element ${i} lacks ${missing.join(', ')}`);
  });
}

function deletePath(root: Record<string, unknown>, path: string): void {
  const keys = path.split('.');
  let at: Record<string, unknown> | undefined = root;
  for (const k of keys.slice(0, -1)) at = at?.[k] as Record<string, unknown> | undefined;
  if (at) delete at[keys[keys.length - 1]];
}

/** `{"spec": {"destination": {{ toJson .destination }}}}`, pretty-printed, from the object parameters. */
function templatePatch(objectParameters: ReadonlyArray<readonly [string, string]>): string {
  const patch: Record<string, unknown> = {};
  for (const [path, parameter] of objectParameters) {
    const keys = path.split('.');
    let at = patch;
    for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
    at[keys[keys.length - 1]] = `\u0000${parameter}`;
  }
  return JSON.stringify(patch, null, 2).replace(/"\\u0000([A-Za-z_][A-Za-z0-9_]*)"/g, '{{ toJson .$1 }}');
}
