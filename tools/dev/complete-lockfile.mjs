#!/usr/bin/env node
// Some registries (mirrors) serve only the native binaries of the platform they run on, so
// `npm install` leaves the other platforms' optional binaries (@swc/core-darwin-arm64, …) out of
// package-lock.json, and `npm ci` then refuses the lock as incomplete. This adds the missing
// entries with their platform constraints, as the public registry would have: npm skips them on
// other platforms and fetches them (by name and version) on theirs. Each entry also gets the
// `integrity` the registry publishes for that version, so `npm ci` checks what it downloads on every
// platform (entries without it were a supply-chain review's finding: issue 22.14).
//   node tools/dev/complete-lockfile.mjs        (after changing dependencies; needs the registry)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const OS = ['darwin', 'linux', 'win32', 'android', 'freebsd', 'openharmony', 'sunos', 'aix', 'netbsd', 'openbsd'];
const CPU = { arm64: 'arm64', x64: 'x64', arm: 'arm', ia32: 'ia32', ppc64: 'ppc64', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' };

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const osIndex = parts.findIndex((p) => OS.includes(p));
  if (osIndex < 0) return null;
  const cpu = CPU[parts[osIndex + 1]];
  if (!cpu) return null;
  const abi = parts.slice(osIndex + 2).join('-');
  const libc = /^(gnu|gnueabihf)$/.test(abi) ? ['glibc'] : /^musl/.test(abi) ? ['musl'] : undefined;
  return { os: [parts[osIndex]], cpu: [cpu], ...(libc ? { libc } : {}) };
}

let added = 0;
for (const [where, entry] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    if (lock.packages[key] || lock.packages[`${where}/node_modules/${dep}`]) continue;
    const platform = platformOf(dep);
    if (!platform || !/^\d+\.\d+\.\d+/.test(version)) continue;
    lock.packages[key] = { version, ...(entry.dev ? { dev: true } : {}), optional: true, ...platform };
    added++;
  }
}
// npm's registry answers /<name>/<version> with that version's manifest, `dist.integrity` included.
const registry = (process.env.npm_config_registry || 'https://registry.npmjs.org/').replace(/\/?$/, '/');
let hashed = 0;
for (const [where, entry] of Object.entries(lock.packages)) {
  if (where === '' || entry.link || entry.integrity || !entry.version) continue;
  const name = where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length);
  const res = await fetch(`${registry}${name.replace('/', '%2f')}/${entry.version}`);
  if (!res.ok) throw new Error(`complete-lockfile: ${name}@${entry.version}: registry answered ${res.status}`);
  const { dist } = await res.json();
  if (!/^sha512-/.test(dist?.integrity ?? '')) throw new Error(`complete-lockfile: ${name}@${entry.version} has no sha512 integrity`);
  entry.integrity = dist.integrity;
  hashed++;
}

lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} platform-specific optional entr${added === 1 ? 'y' : 'ies'}, ${hashed} integrity hash${hashed === 1 ? '' : 'es'}`);
