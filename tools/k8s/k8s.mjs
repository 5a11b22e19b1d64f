#!/usr/bin/env node
// Renders and validates the Kubernetes manifests (infra/k8s), offline once the three tools are built.
//
//   node tools/k8s/k8s.mjs render     kustomize build of every overlay into infra/k8s/rendered/<overlay>.yaml
//   node tools/k8s/k8s.mjs validate   (npm run test:k8s) the committed render is what the sources give, every
//                                     object is valid against the vendored schemas (kubeconform, strict), and the
//                                     alert rules pass promtool's check and their unit tests
//   node tools/k8s/k8s.mjs tools      build kustomize, kubeconform and promtool only
//
// kustomize, kubeconform and promtool are Go programs built from the Go module proxy at pinned versions into
// <repo>/.cache/k8s/bin (git-ignored) the first time, with Go's own module and build caches; after that nothing
// is fetched. The schemas are in the repo (infra/k8s/schemas, see its SOURCES.md): validation never downloads.
// Node built-ins and `yaml`; needs `go` (the same Go that builds FerretDB for the embedded store).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const K8S = path.join(ROOT, 'infra', 'k8s');
const OVERLAYS = path.join(K8S, 'overlays');
const RENDERED = path.join(K8S, 'rendered');
const SCHEMAS = path.join(K8S, 'schemas');
const BIN = path.join(process.env.FIRSTMILE_CACHE_DIR ?? path.join(ROOT, '.cache'), 'k8s', 'bin');

/** Pinned tools. kustomize 5.8.1: 5.8.2+ needs Go 1.27, newer than the machines' 1.26. */
export const TOOLS = {
  kustomize: { module: 'sigs.k8s.io/kustomize/kustomize/v5', version: 'v5.8.1' },
  kubeconform: { module: 'github.com/yannh/kubeconform/cmd/kubeconform', version: 'v0.8.0' },
  // Prometheus v3.16.0's promtool (the Go module's versions are v0.<major><minor>.<patch>).
  promtool: { module: 'github.com/prometheus/prometheus/cmd/promtool', version: 'v0.316.0' },
};
/** `promtool test rules` cases for the alerts (rule_files: rules.yaml, written beside a copy at test time). */
const ALERT_TESTS = path.join(K8S, 'base', 'observability', 'alerts.test.yaml');
/** Schema directories, as kubeconform's -schema-location templates (infra/k8s/schemas/SOURCES.md). */
const SCHEMA_LOCATIONS = [
  path.join(SCHEMAS, 'kubernetes-v1.35.0-standalone-strict', '{{ .ResourceKind }}{{ .KindSuffix }}.json'),
  path.join(SCHEMAS, 'crds', '{{ .Group }}', '{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json'),
];

const log = (msg) => process.stdout.write(`k8s: ${msg}\n`);

function run(cmd, args, { env, capture = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (capture ? (out += d) : process.stdout.write(d)));
    child.stderr.on('data', (d) => {
      err += d;
      // go prints "go: downloading …" while it fetches: show it, so a first run is not silent for a minute.
      if (!capture) process.stdout.write(String(d).replace(/^(?=.)/gm, '  '));
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(out)
        : reject(Object.assign(new Error(`${cmd} ${args.join(' ')} exited ${code}\n${err}`), { out, code })),
    );
  });
}

/** The path of a tool, built on first use. */
export async function tool(name) {
  const { module, version } = TOOLS[name];
  const bin = path.join(BIN, `${name}-${version}`);
  if (fs.existsSync(bin)) return bin;
  const started = Date.now();
  log(
    `building ${name} ${version} from the Go module proxy into ${path.relative(ROOT, BIN)} (first run only)…`,
  );
  fs.mkdirSync(BIN, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(BIN, `.${name}-`));
  // Compiling prints nothing for a while: say so every 10 s.
  const ticker = setInterval(
    () => log(`  still building ${name} (${Math.round((Date.now() - started) / 1000)} s)…`),
    10_000,
  );
  try {
    await run('go', ['install', '-trimpath', `${module}@${version}`], {
      env: { GOBIN: tmp, GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? 'local' },
    });
    fs.renameSync(path.join(tmp, name), bin); // the module's command is named after the tool
  } finally {
    clearInterval(ticker);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  log(`built ${name} ${version} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return bin;
}

const overlays = () =>
  fs
    .readdirSync(OVERLAYS)
    .filter((d) => fs.existsSync(path.join(OVERLAYS, d, 'kustomization.yaml')))
    .sort();

const HEADER = (o) =>
  `# Rendered from infra/k8s/overlays/${o} by \`node tools/k8s/k8s.mjs render\` (kustomize ${TOOLS.kustomize.version}).\n` +
  `# Do not edit: change the base or the overlay and render again; \`npm run test:k8s\` fails while this is stale.\n`;

async function renderAll() {
  const kustomize = await tool('kustomize');
  const out = {};
  for (const o of overlays())
    out[o] = HEADER(o) + (await run(kustomize, ['build', path.join(OVERLAYS, o)], { capture: true }));
  return out;
}

async function render() {
  fs.mkdirSync(RENDERED, { recursive: true });
  for (const [o, text] of Object.entries(await renderAll())) {
    fs.writeFileSync(path.join(RENDERED, `${o}.yaml`), text);
    log(
      `rendered ${path.relative(ROOT, path.join(RENDERED, `${o}.yaml`))} (${(text.match(/^kind: /gm) ?? []).length} objects)`,
    );
  }
}

async function validate() {
  const rendered = await renderAll();
  const stale = Object.entries(rendered).filter(([o, text]) => {
    const file = path.join(RENDERED, `${o}.yaml`);
    return !fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text;
  });
  const extra = fs
    .readdirSync(RENDERED)
    .filter((f) => f.endsWith('.yaml') && !(f.replace(/\.yaml$/, '') in rendered));
  if (stale.length || extra.length) {
    throw new Error(
      `infra/k8s/rendered is not what the sources render (${[...stale.map(([o]) => o), ...extra].join(', ')}): run \`node tools/k8s/k8s.mjs render\` and commit it`,
    );
  }
  log(`the committed render matches the sources (${Object.keys(rendered).join(', ')})`);
  const kubeconform = await tool('kubeconform');
  const files = Object.keys(rendered).map((o) => path.join(RENDERED, `${o}.yaml`));
  // -strict: no field a schema does not declare, no duplicate keys. No -ignore-missing-schemas: an object whose
  // kind has no vendored schema fails rather than passing unchecked.
  const args = [
    '-strict',
    '-summary',
    '-output',
    'text',
    ...SCHEMA_LOCATIONS.flatMap((l) => ['-schema-location', l]),
    ...files,
  ];
  try {
    process.stdout.write(await run(kubeconform, args, { capture: true }));
  } catch (err) {
    process.stdout.write(err.out ?? '');
    throw new Error('kubeconform found invalid objects (above)');
  }
  for (const [o, text] of Object.entries(rendered)) await testAlerts(o, text);
}

/** Prometheus itself checks the overlay's alert rules and runs their unit tests (ALERT_TESTS). */
async function testAlerts(overlay, text) {
  const groups = parseAllDocuments(text)
    .map((d) => d.toJS())
    .filter((o) => o?.kind === 'PrometheusRule')
    .flatMap((r) => r.spec.groups);
  const promtool = await tool('promtool');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'firstmile-alerts-'));
  try {
    const rules = path.join(dir, 'rules.yaml');
    fs.writeFileSync(rules, stringify({ groups }));
    fs.copyFileSync(ALERT_TESTS, path.join(dir, 'alerts.test.yaml'));
    await run(promtool, ['check', 'rules', rules], { capture: true });
    await run(promtool, ['test', 'rules', path.join(dir, 'alerts.test.yaml')], { capture: true });
  } catch (err) {
    process.stdout.write(`${err.out ?? ''}${err.message}\n`);
    throw new Error(`promtool: the alert rules of ${overlay} fail their check or their tests (above)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  log(`${groups.flatMap((g) => g.rules).length} alert rules of ${overlay} pass promtool's check and ${path.relative(ROOT, ALERT_TESTS)}`);
}

const commands = { render, validate, tools: async () => Promise.all(Object.keys(TOOLS).map(tool)) };
const cmd = process.argv[2];
if (!commands[cmd]) {
  console.error(`usage: node tools/k8s/k8s.mjs ${Object.keys(commands).join('|')}`);
  process.exit(2);
}
commands[cmd]().catch((err) => {
  console.error(`k8s: ${err.message}`);
  process.exit(1);
});
