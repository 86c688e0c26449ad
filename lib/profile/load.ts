/**
 * Read ClusterProfiles: parse with positions, check the schema, then the rules that span fields.
 * Every problem of every file is collected; nothing stops at the first.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ClusterContext, PreviousRender } from '../core/cluster';
import { Finding, formatPath } from '../core/findings';
import { Diagnostic } from './diagnostics';
import { checkProfile, clusterContext } from './rules';
import { clusterProfileSchema, ClusterProfile } from './schema';
import { AliasExpansionError, ProfileSource } from './source';
import { findingsFromIssues, PARSE_OPTIONS } from './zod-findings';

/** A profile that passed the schema and the rules: ready to resolve. */
export interface CheckedProfile {
  /** Path as the user sees it (relative to the working directory when possible). */
  readonly file: string;
  readonly profile: ClusterProfile;
  readonly context: ClusterContext;
  readonly source: ProfileSource;
  /** The rules' findings: warnings only. */
  readonly findings: readonly Finding[];
}

export const PROFILE_EXTENSIONS = ['.yaml', '.yml'];

/** Profile files of a folder, sorted by name so every run reads them in the same order. */
export function listProfileFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && PROFILE_EXTENSIONS.includes(path.extname(e.name)))
    .map((e) => path.join(dir, e.name))
    .sort();
}

export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** What the last synth rendered for a cluster, by name; undefined where nothing is known. */
export type PreviousRenderLookup = (cluster: string) => PreviousRender | undefined;

/**
 * Parse and check one profile's text; `diagnostics` holds every problem, positioned. `previous`
 * gives what dist/ holds for the cluster, for rules that refuse changes made in place.
 */
export function checkProfileText(file: string, text: string, previous?: PreviousRenderLookup): { checked?: CheckedProfile; diagnostics: Diagnostic[] } {
  const source = ProfileSource.parse(file, text);
  const diagnostics: Diagnostic[] = source.errors.map((e) => ({ severity: 'error', file, ...e.position, path: '', message: e.message }));
  if (diagnostics.length > 0) return { diagnostics };

  let input: unknown;
  try {
    input = source.toJS();
  } catch (e) {
    if (e instanceof AliasExpansionError) return { diagnostics: [{ severity: 'error', file, ...e.position, path: '', message: e.message }] };
    throw e;
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { diagnostics: [{ severity: 'error', file, line: 1, col: 1, path: '', message: 'must be a ClusterProfile mapping (apiVersion, kind, metadata, spec)' }] };
  }

  const parsed = clusterProfileSchema.safeParse(input, PARSE_OPTIONS);
  if (!parsed.success) return { diagnostics: findingsFromIssues(clusterProfileSchema, input, parsed.error.issues).map((f) => position(source, f)) };
  const before = previous?.(parsed.data.metadata.name);
  const findings = checkProfile(parsed.data, before);
  const positioned = findings.map((f) => position(source, f));
  if (findings.some((f) => f.severity === 'error')) return { diagnostics: positioned };
  return { checked: { file, profile: parsed.data, context: clusterContext(parsed.data, before), source, findings }, diagnostics: positioned };
}

export function position(source: ProfileSource, f: Finding): Diagnostic {
  const pos = source.locate(f.path, f.atKey === true);
  return { severity: f.severity, file: source.file, line: pos.line, col: pos.col, path: formatPath(f.path), message: f.message, source: f.source };
}
