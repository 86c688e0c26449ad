/**
 * netscale's own version: the package version, and a fingerprint of the code that renders (the
 * sources and the locked dependencies), so anything kept from an earlier run is reused only by
 * exactly the code that made it.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { version as packageVersion } from '../../package.json';

export const NETSCALE_VERSION: string = packageVersion;

/**
 * What bin/netscale.js tells the bundle it runs (a global of the process, set before the bundle
 * starts): where netscale lives, the launcher itself (worker threads start through it, so they run
 * the same verified bundle), and the hash of the sources the bundle was built from.
 */
export interface Launcher {
  readonly bin: string;
  readonly root: string;
  readonly sources: string;
}

const LAUNCHER = Symbol.for('netscale.launcher');

/** The launcher that started this code, when bin/netscale.js did (not under tests or tsx). */
export function launcher(): Launcher | undefined {
  return (globalThis as { [LAUNCHER]?: Launcher })[LAUNCHER];
}

let fingerprint: string | undefined;

/**
 * A hash of main.ts, lib/, imports/ and package-lock.json, the files the cached bundle is built
 * from (bin/netscale.js has it already); when they cannot be found (netscale installed as a
 * package), of the running code itself.
 */
export function buildFingerprint(): string {
  if (fingerprint !== undefined) return fingerprint;
  const hash = crypto.createHash('sha256').update(`netscale ${NETSCALE_VERSION}\0`);
  const from = launcher();
  const root = projectRoot();
  if (from) {
    hash.update(`bundle ${from.sources}`);
  } else if (root) {
    for (const file of sourceFiles(root))
      hash
        .update(file)
        .update('\0')
        .update(fs.readFileSync(path.join(root, file)))
        .update('\0');
  } else {
    hash.update(fs.readFileSync(__filename));
  }
  fingerprint = hash.digest('hex').slice(0, 16);
  return fingerprint;
}

/** The folder holding netscale's package.json, from here or from the bundle in node_modules/.cache/. */
export function projectRoot(): string | undefined {
  const from = launcher();
  if (from) return from.root;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'netscale' && fs.existsSync(path.join(dir, 'lib'))) return dir;
    } catch {
      // no package.json here
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

function sourceFiles(root: string): string[] {
  const files = ['main.ts', 'package-lock.json'].filter((f) => fs.existsSync(path.join(root, f)));
  const walk = (dir: string) => {
    if (!fs.existsSync(path.join(root, dir))) return;
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.ts')) files.push(rel);
    }
  };
  walk('lib');
  walk('imports');
  return files.sort();
}
