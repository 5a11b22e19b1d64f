import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, token } from '@firstmile/testing';
import type { Principal } from '@firstmile/contracts';

/** Pinned: a new Schemathesis may add checks; it is upgraded on purpose, here. */
export const SCHEMATHESIS_VERSION = '4.32.5';
export const VENV = path.join(REPO_ROOT, '.cache', `schemathesis-${SCHEMATHESIS_VERSION}`);
const ST = path.join(VENV, 'bin', 'st');

/** Fixed, so a CI failure replays exactly (`SCHEMATHESIS_SEED` explores elsewhere). */
export const SEED = Number(process.env['SCHEMATHESIS_SEED'] ?? 20261205);
/** Test cases per operation and phase: enough for every status, small enough for ≤ 2 minutes in all. */
export const MAX_EXAMPLES = Number(process.env['SCHEMATHESIS_MAX_EXAMPLES'] ?? 12);

const say = (line: string) => process.stderr.write(`[schemathesis] ${line}\n`);

/**
 * Schemathesis from PyPI in a virtual environment under .cache/, made once and reused while the
 * pinned version is the one installed. Needs python3 (with venv); says so plainly when it is missing.
 */
export function ensureSchemathesis(): string {
  const installed = spawnSync(ST, ['--version'], { encoding: 'utf8' });
  if (installed.status === 0 && installed.stdout.includes(SCHEMATHESIS_VERSION)) return ST;
  const python = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  if (python.error || python.status !== 0) {
    throw new Error('the contract test runs Schemathesis, a Python tool: python3 (3.9 or newer, with the venv module) is needed on PATH and was not found');
  }
  say(`installing schemathesis==${SCHEMATHESIS_VERSION} from PyPI into ${path.relative(REPO_ROOT, VENV)} (${python.stdout.trim()}; once, reused by later runs)…`);
  fs.rmSync(VENV, { recursive: true, force: true });
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) {
      fs.rmSync(VENV, { recursive: true, force: true });
      throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
    }
  };
  run('python3', ['-m', 'venv', VENV]);
  run(path.join(VENV, 'bin', 'pip'), ['install', '--disable-pip-version-check', '--progress-bar', 'off', `schemathesis==${SCHEMATHESIS_VERSION}`]);
  say('installed');
  return ST;
}

/** The parts of an OpenAPI document the runner reads. */
export interface ContractDoc {
  paths: Record<string, Record<string, { operationId?: string; security?: unknown[]; 'x-roles'?: string[]; parameters?: Array<{ name: string; in: string; schema?: { pattern?: string; example?: string } }> }>>;
}

export interface ContractWorld {
  /** Who calls for each role: the principal owning the seeded objects. */
  callers: Partial<Record<string, Principal>>;
  /** Seeded ids, in order of preference; a path parameter takes the first its pattern matches. */
  ids: string[];
}

const toml = (s: string) => JSON.stringify(s);

/**
 * The Schemathesis configuration for one service, from its own document: each operation is called
 * with a token of a role it admits (ops when it does, as ops sees every tenant) and each path
 * parameter with a seeded id that its pattern matches. Nothing lists routes: a new operation that
 * declares `x-roles` (describeBehaviour does) and an id pattern (`ApiIdParam`) is covered as it is.
 */
export function configFor(doc: ContractDoc, world: ContractWorld): string {
  const lines: string[] = [];
  for (const item of Object.values(doc.paths)) {
    for (const op of Object.values(item)) {
      if (!op.operationId) continue;
      const roles = op['x-roles'] ?? [];
      const role = roles.includes('ops') ? 'ops' : roles[0];
      const caller = role ? world.callers[role] : (op.security?.length ?? 1) > 0 ? world.callers['ops'] : undefined;
      const params: string[] = [];
      for (const p of op.parameters ?? []) {
        if (p.in !== 'path' || !p.schema?.pattern) continue;
        const re = new RegExp(p.schema.pattern);
        // A loose pattern (warehouse codes) matches other ids too: the one shaped like the example wins.
        const kind = (v: string) => v.split('-')[0];
        const matching = world.ids.filter((v) => re.test(v));
        const id = matching.find((v) => p.schema?.example !== undefined && kind(v) === kind(p.schema.example)) ?? matching[0];
        if (id) params.push(`${toml(`path.${p.name}`)} = ${toml(id)}`);
      }
      if (!caller && !params.length) continue;
      lines.push('[[operations]]', `include-operation-id = ${toml(op.operationId)}`);
      if (caller) lines.push(`headers = { Authorization = ${toml(`Bearer ${token(caller)}`)} }`);
      if (params.length) lines.push(`parameters = { ${params.join(', ')} }`);
      lines.push('');
    }
  }
  return `${fs.readFileSync(path.join(__dirname, 'schemathesis.toml'), 'utf8')}\n${lines.join('\n')}`;
}

export interface ContractRun {
  code: number;
  output: string;
}

/** Runs `st run --checks all` on one service's document with its configuration. */
export async function runSchemathesis(st: string, name: string, docUrl: string, config: string, workDir: string): Promise<ContractRun> {
  fs.mkdirSync(workDir, { recursive: true });
  const configFile = path.join(workDir, `${name}.toml`);
  fs.writeFileSync(configFile, config);
  const args = ['--config-file', configFile, 'run', docUrl, '--checks', 'all', '--seed', String(SEED), '--max-examples', String(MAX_EXAMPLES), '--no-color'];
  // One worker: Hypothesis describes filters by parsing their source with `ast`, and CPython 3.11's
  // ast keeps its recursion depth in shared state, so two threads parsing at once can fail with
  // "AST constructor recursion depth mismatch" (seen here on 3.11.7). The services are not the bottleneck.
  args.push('--workers', '1');
  const child = spawn(st, args, { cwd: workDir, env: { ...process.env, SCHEMATHESIS_HOOKS: '' } });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  fs.writeFileSync(path.join(workDir, `${name}.txt`), output);
  return { code, output };
}
