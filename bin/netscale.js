#!/usr/bin/env node
/**
 * Runs main.ts from a bundle cached in node_modules/.cache/netscale/, keyed by the hash of the
 * sources: compiling TypeScript at every start costs more than synthesizing a small fleet.
 * Same behaviour as `node --import tsx main.ts`, which the tests use.
 */
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');

function sources() {
  const files = ['main.ts', 'package-lock.json'];
  const walk = (dir) => {
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

function bundlePath() {
  const hash = crypto.createHash('sha256');
  for (const file of sources()) hash.update(file).update('\0').update(fs.readFileSync(path.join(root, file))).update('\0');
  return path.join(root, 'node_modules', '.cache', 'netscale', `main-${hash.digest('hex').slice(0, 16)}.js`);
}

const bundle = bundlePath();
if (!fs.existsSync(bundle)) {
  const dir = path.dirname(bundle);
  fs.mkdirSync(dir, { recursive: true });
  // Bundles of other sources go; a concurrent run of the same sources builds the same name.
  for (const old of fs.readdirSync(dir)) if (/^main-[0-9a-f]+\.js$/.test(old)) fs.rmSync(path.join(dir, old), { force: true });
  const partial = `${bundle}.${process.pid}.tmp`;
  require('esbuild').buildSync({
    entryPoints: [path.join(root, 'main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: partial,
    logLevel: 'error',
  });
  fs.renameSync(partial, bundle);
}
require(bundle);
