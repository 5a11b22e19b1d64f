#!/usr/bin/env node
// Refreshes the JSON schemas under infra/k8s/schemas that `npm run test:k8s` validates against.
// Maintainers run it when a pinned version changes (infra/k8s/schemas/SOURCES.md says from what);
// tests never run it, and it fetches nothing: you hand it the files.
//
//   node tools/k8s/vendor-schemas.mjs \
//     --kubernetes <kubernetes-validate wheel>/kubernetes_validate/kubernetes-json-schema/v1.35.0-local-strict \
//     --crd <an operator's CRD yaml> [--crd …]
//
// Only the kinds the rendered manifests (infra/k8s/rendered/*.yaml) use are written, so render first.
// Kubernetes kinds: the wheel's strict schemas refer into one `_definitions.json`; each kind is
// written standalone (the definitions it reaches copied into its own `$defs`) because kubeconform
// resolves a schema file on its own. CRDs: each served version's `openAPIV3Schema`, converted the way
// kubeconform's openapi2jsonschema does in strict mode (int-or-string, nullable, and no undeclared
// fields where the CRD does not preserve unknown ones).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCHEMAS = path.join(ROOT, 'infra', 'k8s', 'schemas');
const RENDERED = path.join(ROOT, 'infra', 'k8s', 'rendered');
export const KUBERNETES_SCHEMA_DIR = 'kubernetes-v1.35.0-standalone-strict';

function args() {
  const out = { kubernetes: undefined, crd: [] };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === '--kubernetes') out.kubernetes = argv[i + 1];
    else if (argv[i] === '--crd') out.crd.push(argv[i + 1]);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return out;
}

/** Every apiVersion/kind the rendered manifests use. */
function usedKinds() {
  const used = new Map();
  for (const f of fs.readdirSync(RENDERED).filter((n) => n.endsWith('.yaml'))) {
    for (const doc of YAML.parseAllDocuments(fs.readFileSync(path.join(RENDERED, f), 'utf8'))) {
      const o = doc.toJS();
      if (o) used.set(`${o.apiVersion}/${o.kind}`, { apiVersion: o.apiVersion, kind: o.kind });
    }
  }
  return [...used.values()];
}

/** kubeconform's file name for a Kubernetes kind: deployment-apps-v1, service-v1. */
function kubernetesFileName({ apiVersion, kind }) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const suffix = group ? `-${group.split('.')[0]}-${version}` : `-${version}`;
  return `${kind.toLowerCase()}${suffix}.json`;
}

function vendorKubernetes(dir, kinds) {
  const defs = JSON.parse(fs.readFileSync(path.join(dir, '_definitions.json'), 'utf8'));
  const out = path.join(SCHEMAS, KUBERNETES_SCHEMA_DIR);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const written = [];
  for (const k of kinds) {
    const name = kubernetesFileName(k);
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) continue; // not a Kubernetes kind: a CRD's
    const schema = JSON.parse(fs.readFileSync(file, 'utf8'));
    const reached = {};
    const rewrite = (node) => {
      if (Array.isArray(node)) return node.map(rewrite);
      if (!node || typeof node !== 'object') return node;
      const copy = {};
      for (const [key, value] of Object.entries(node)) {
        // A kind refers to `/api/_definitions.json#/$defs/X`; definitions refer to each other as `#/$defs/X`.
        const ref =
          key === '$ref' && typeof value === 'string'
            ? /^(?:\/api\/_definitions\.json)?#\/\$defs\/(.+)$/.exec(value)
            : null;
        if (ref) {
          const id = ref[1];
          if (!defs.$defs[id]) throw new Error(`${name}: no definition ${id}`);
          if (!(id in reached)) {
            reached[id] = null; // before recursing: definitions refer to each other in cycles
            reached[id] = rewrite(defs.$defs[id]);
          }
          copy[key] = `#/$defs/${id}`;
        } else copy[key] = rewrite(value);
      }
      return copy;
    };
    const body = rewrite(schema);
    const standalone = {
      $schema: defs.$schema,
      ...body,
      $defs: Object.fromEntries(Object.entries(reached).sort()),
    };
    fs.writeFileSync(path.join(out, name), JSON.stringify(standalone, null, 1) + '\n');
    written.push(name);
  }
  return written;
}

/** openAPIV3Schema → JSON schema, as kubeconform's openapi2jsonschema does with strict on. */
function convert(node) {
  if (Array.isArray(node)) return node.map(convert);
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) out[key] = convert(value);
  if (out['x-kubernetes-int-or-string']) {
    delete out.type;
    out.oneOf = [{ type: 'string' }, { type: 'integer' }];
  }
  if (out.nullable) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    delete out.nullable;
  }
  if (
    out.type === 'object' &&
    out.properties &&
    !('additionalProperties' in out) &&
    !out['x-kubernetes-preserve-unknown-fields']
  ) {
    out.additionalProperties = false;
  }
  return out;
}

function vendorCrds(files, kinds) {
  const wanted = new Set(kinds.map((k) => `${k.apiVersion}/${k.kind}`));
  const written = [];
  for (const f of files) {
    for (const doc of YAML.parseAllDocuments(fs.readFileSync(f, 'utf8'))) {
      const crd = doc.toJS();
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      const { group, names } = crd.spec;
      for (const v of crd.spec.versions) {
        if (!wanted.has(`${group}/${v.name}/${names.kind}`)) continue;
        const dir = path.join(SCHEMAS, 'crds', group);
        fs.mkdirSync(dir, { recursive: true });
        const name = `${names.kind.toLowerCase()}_${v.name}.json`;
        fs.writeFileSync(
          path.join(dir, name),
          JSON.stringify(convert(v.schema.openAPIV3Schema), null, 1) + '\n',
        );
        written.push(`${group}/${name}`);
      }
    }
  }
  return written;
}

const a = args();
const kinds = usedKinds();
if (a.kubernetes) console.log(`kubernetes: ${vendorKubernetes(a.kubernetes, kinds).join(', ')}`);
if (a.crd.length) console.log(`crds: ${vendorCrds(a.crd, kinds).join(', ')}`);
const missing = kinds.filter(
  (k) =>
    !fs.existsSync(path.join(SCHEMAS, KUBERNETES_SCHEMA_DIR, kubernetesFileName(k))) &&
    !fs.existsSync(
      path.join(
        SCHEMAS,
        'crds',
        k.apiVersion.split('/')[0],
        `${k.kind.toLowerCase()}_${k.apiVersion.split('/')[1]}.json`,
      ),
    ),
);
if (missing.length) {
  console.error(`no schema yet for: ${missing.map((k) => `${k.apiVersion} ${k.kind}`).join(', ')}`);
  process.exitCode = 1;
}
