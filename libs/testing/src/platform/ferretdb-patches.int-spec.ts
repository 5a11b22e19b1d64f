import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../lib/infra';

/**
 * The embedded store is FerretDB 1.24 with infra/ferretdb/patches applied. The store conformance
 * suite holds the built binary to MongoDB's behaviour; this runs the module's own Go tests of the
 * packages the patches change (the upstream tests, and the patches' own, such as the decoder's
 * equivalence test of 0007), so a patch that breaks what it does not mean to is seen here.
 */
const PACKAGES = ['./internal/handler/...', './internal/backends/sqlite/...', './internal/util/...'];
/**
 * As the binary is built (tools/infra/embedded.mjs), so the compiled dependencies are reused; but not
 * `ferretdb_no_postgresql`: the module's test helpers do not compile without PostgreSQL's logger.
 */
const FLAGS = ['-trimpath'];

function hasGo(): boolean {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Where containers run the tests, the store is MongoDB and Go may be absent: nothing of FerretDB's is used then.
const withGo = hasGo() ? it : it.skip;

/**
 * Calls an export of tools/infra/embedded.mjs with JSON arguments; resolves with what it returns.
 * It is an ES module, which jest's CommonJS runtime cannot load: a node of its own does.
 */
async function embedded(name: string, ...args: unknown[]): Promise<unknown> {
  const url = pathToFileURL(path.join(REPO_ROOT, 'tools/infra/embedded.mjs')).href;
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--input-type=module',
    '-e',
    `const m = await import(${JSON.stringify(url)}); console.log(JSON.stringify((await m[${JSON.stringify(name)}](...${JSON.stringify(args)})) ?? null));`,
  ]);
  return JSON.parse(stdout.trim().split('\n').pop() ?? 'null');
}

describe('FerretDB patches: the module’s own Go tests of what they change', () => {
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'firstmile-ferretdb-src-'));
    if (!hasGo()) return;
    await embedded('patchedFerretdbSource', path.join(dir, 'ferretdb'));
    // FerretDB's release build generates it (`task gen-version`); the version package panics without it.
    writeFileSync(path.join(dir, 'ferretdb', 'build', 'version', 'version.txt'), 'v1.24.2\n');
    // The module's test helpers find its root by a `.git` above the working directory.
    mkdirSync(path.join(dir, 'ferretdb', '.git'));
  }, 300_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  withGo(
    'pass in the patched module',
    async () => {
      const { stdout } = await promisify(execFile)('go', ['test', ...FLAGS, '-count=1', ...PACKAGES], {
        cwd: path.join(dir, 'ferretdb'),
        env: { ...process.env, CGO_ENABLED: '0' },
        maxBuffer: 64 * 1024 * 1024,
      }).catch((err: { stdout?: string; stderr?: string; message: string }) => {
        const failed = `${err.stdout ?? ''}${err.stderr ?? ''}`
          .split('\n')
          .filter((l) => /^(--- FAIL|FAIL|panic|\s+Error)/.test(l));
        throw new Error(`go test failed:\n${failed.slice(0, 40).join('\n') || err.message}`);
      });
      const passed = stdout.split('\n').filter((l) => l.startsWith('ok '));
      // The patched packages themselves, not only something: each must have run its tests.
      for (const pkg of [
        'internal/handler/sjson',
        'internal/handler/common',
        'internal/handler',
        'internal/backends/sqlite',
        'internal/backends/sqlite/metadata',
      ])
        expect(passed.some((l) => l.split(/\s+/)[1] === `github.com/FerretDB/FerretDB/${pkg}`)).toBe(true);
    },
    600_000,
  );
});

describe('patches of FerretDB’s dependencies: their own Go tests', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'firstmile-ferretdb-deps-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  withGo(
    'modernc.org/libc: memcmp answers as musl’s does',
    async () => {
      const moduleDir = (await embedded('patchedDependencySource', 'modernc.org/libc', dir)) as string;
      // Only the patch's own test: the module's others need golang.org/x/tools v0.19, which newer Go
      // toolchains do not compile.
      for (const f of readdirSync(moduleDir))
        if (f.endsWith('_test.go') && f !== 'memcmp_fast_test.go') rmSync(path.join(moduleDir, f));
      const { stdout } = await promisify(execFile)(
        'go',
        ['test', ...FLAGS, '-count=1', '-v', '-run', 'Memcmp|Xmemcmp', '.'],
        {
          cwd: moduleDir,
          env: { ...process.env, CGO_ENABLED: '0' },
          maxBuffer: 16 * 1024 * 1024,
        },
      );
      expect(stdout).toMatch(/^--- PASS: TestMemcmpFastIsMuslsMemcmp/m);
      expect(stdout).toMatch(/^--- PASS: TestXmemcmpUsesIt/m);
    },
    300_000,
  );

  withGo(
    'modernc.org/sqlite: a connection keeps its prepared statements, and they answer as fresh ones',
    async () => {
      const moduleDir = (await embedded('patchedDependencySource', 'modernc.org/sqlite', dir)) as string;
      // Only the patch's own test: the module's others take many minutes (and fetch profiling tools).
      for (const f of readdirSync(moduleDir)) if (f.endsWith('_test.go') && f !== 'stmt_cache_test.go') rmSync(path.join(moduleDir, f));
      const { stdout } = await promisify(execFile)('go', ['test', ...FLAGS, '-count=1', '-v', '-run', 'TestStatementCache', '.'], {
        cwd: moduleDir,
        env: { ...process.env, CGO_ENABLED: '0' },
        maxBuffer: 16 * 1024 * 1024,
      });
      expect(stdout).toMatch(/^--- PASS: TestStatementCache/m);
    },
    300_000,
  );
});
