/** `netscale import`: dumps in, a profile out (stdout, or --out FILE), every problem at once. */
import * as fs from 'fs';
import * as path from 'path';
import { Platform } from '../core/cluster';
import { Dump } from '../import/dumps';
import { ImportError, importProfile } from '../import/import';
import { Diagnostic, formatDiagnostic, sortDiagnostics, wholeFileDiagnostic } from '../profile/diagnostics';
import { displayPath } from '../profile/load';
import { Command } from './args';
import type { CliIo } from './main';
import { warningLines } from './report';

export function runImport(command: Extract<Command, { kind: 'import' }>, cli: CliIo): number {
  const problems: Diagnostic[] = [];
  const read = (file: string): Dump | undefined => {
    if (file === '-') return { source: 'stdin', text: cli.readStdin() };
    try {
      return { source: displayPath(file), text: fs.readFileSync(file, 'utf8') };
    } catch (e) {
      problems.push(wholeFileDiagnostic('error', displayPath(file), `cannot be read: ${(e as Error).message}`));
      return undefined;
    }
  };
  const dumps = (command.files.length > 0 ? command.files : ['-']).map(read).filter((d): d is Dump => d !== undefined);
  const ciliumValues = command.ciliumValues !== undefined ? read(command.ciliumValues) : undefined;
  if (command.out !== undefined) {
    const folder = path.dirname(command.out);
    if (fs.existsSync(command.out)) {
      problems.push(
        wholeFileDiagnostic('error', displayPath(command.out), 'exists: import never writes over a file; choose another --out or remove it'),
      );
    } else if (!fs.statSync(folder, { throwIfNoEntry: false })?.isDirectory()) {
      problems.push(
        wholeFileDiagnostic('error', displayPath(command.out), `cannot be written: ${displayPath(folder)} is not a folder; create it first`),
      );
    }
  }
  if (problems.length > 0) return fail(cli, problems);

  let result;
  try {
    result = importProfile({
      name: command.name,
      dumps,
      platform: command.platform as Platform | undefined,
      ciliumValues,
      ciliumVersion: command.ciliumVersion,
      file: command.out ? displayPath(command.out) : undefined,
    });
  } catch (e) {
    if (e instanceof ImportError) return fail(cli, e.diagnostics);
    throw e;
  }
  for (const line of warningLines(result.warnings, new Map(), true)) cli.stderr.write(`${line}\n`);
  if (command.out !== undefined) {
    try {
      fs.writeFileSync(command.out, result.text, { flag: 'wx' });
    } catch (e) {
      return fail(cli, [wholeFileDiagnostic('error', displayPath(command.out), `cannot be written: ${(e as Error).message}`)]);
    }
  } else cli.stdout.write(result.text);
  const spec = result.profile.spec as Record<string, unknown>;
  const where = command.out !== undefined ? `into ${displayPath(command.out)}` : 'to stdout';
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const what = `${command.name} (${String(spec.platform)}, ${String(spec.cni)}, ${String(spec.nodes)} nodes)`;
  const toCheck = count(result.toCheck.length, 'thing');
  const notMapped = count(result.notMapped.length, 'setting');
  const withheld = count(result.withheld.length, 'credential');
  cli.stderr.write(
    `netscale: imported ${what} ${where}; its top lists ${toCheck} to check before the first sync, ` +
      `${notMapped} not mapped and ${withheld} not copied\n`,
  );
  return 0;
}

function fail(cli: CliIo, problems: readonly Diagnostic[]): number {
  const errors = sortDiagnostics(problems.filter((d) => d.severity === 'error'));
  cli.stderr.write(
    `error: ${errors.length} problem${errors.length === 1 ? '' : 's'} importing the cluster; nothing was ` +
      `written:\n${errors.map((d) => `  ${formatDiagnostic(d)}`).join('\n')}\n`,
  );
  return 1;
}
