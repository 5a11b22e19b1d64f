import { builtinModules } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

/** What a supply-chain review of the repository checks (issue 22.14). */
const ROOT = path.resolve(__dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { version?: string; integrity?: string; link?: boolean }> };

const { compilerOptions } = JSON.parse(read('tsconfig.base.json')) as { compilerOptions: { paths: Record<string, string[]> } };

/**
 * The npm packages the services load: their module graph walked from each entry point (the four
 * `main.ts` and the telemetry preload), through relative and `@firstmile/*` imports. `import type`
 * is erased by the build and loads nothing.
 */
function packagesLoadedAtRunTime(): Map<string, string> {
  const loaded = new Map<string, string>(); // package → first file that loads it
  const seen = new Set<string>();
  const resolve = (from: string, specifier: string): string | undefined => {
    const base = specifier.startsWith('@firstmile/') ? compilerOptions.paths[specifier]?.[0] : path.join(path.dirname(from), specifier);
    return base ? [base, `${base}.ts`, path.join(base, 'index.ts')].find((f) => fs.existsSync(path.join(ROOT, f)) && f.endsWith('.ts')) : undefined;
  };
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of read(file).matchAll(/^(?:import|export)\s+(?!type\b)[^'";]*?from\s+'([^']+)'|^import\s+'([^']+)'|require\('([^']+)'\)/gm)) {
      const specifier = m[1] ?? m[2] ?? m[3];
      if (specifier.startsWith('.') || specifier.startsWith('@firstmile/')) {
        const target = resolve(file, specifier);
        if (target) visit(target);
      } else if (!specifier.startsWith('node:') && !builtinModules.includes(specifier)) {
        const name = packageOf(specifier);
        if (!loaded.has(name)) loaded.set(name, file);
      }
    }
  };
  for (const app of ['harvest-intake', 'grading', 'warehouse', 'order-routing']) visit(`apps/${app}/src/main.ts`);
  visit('libs/telemetry/src/register.ts');
  return loaded;
}

const packageOf = (specifier: string): string => (specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]);

describe('supply chain', () => {
  it('every package in the lockfile carries its sha512 integrity, on every platform', () => {
    const missing = Object.entries(lock.packages)
      .filter(([where, e]) => where !== '' && !e.link && !/^sha512-[A-Za-z0-9+/]+={0,2}$/.test(e.integrity ?? ''))
      .map(([where]) => where);
    expect(missing).toEqual([]);
  });

  it('pins every dependency exactly', () => {
    const loose = Object.entries({ ...pkg.dependencies, ...pkg.devDependencies }).filter(([, v]) => !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(v));
    expect(loose).toEqual([]);
  });

  it('ships what the services import: every runtime import is a dependency (the image prunes the rest)', () => {
    const loaded = packagesLoadedAtRunTime();
    expect(loaded.size).toBeGreaterThan(20);
    const notShipped = [...loaded].filter(([p]) => !(p in pkg.dependencies)).map(([p, file]) => `${p} (loaded by ${file})`);
    expect(notShipped).toEqual([]);
    // jsonwebtoken signs development and test tokens only (tools, tests); the services verify with jose.
    expect(pkg.dependencies).not.toHaveProperty('jsonwebtoken');
    expect(pkg.devDependencies).toHaveProperty('jsonwebtoken');
  });

  it('pins the infrastructure images of docker-compose.yml by digest where a release tag has one', () => {
    const images = [...read('docker-compose.yml').matchAll(/^\s+image:\s*(\S+)/gm)].map((m) => m[1]);
    const byName = Object.fromEntries(images.map((i) => [i.split(/[:@]/)[0], i]));
    expect(byName['apache/kafka']).toMatch(/^apache\/kafka:3\.9\.1@sha256:[0-9a-f]{64}$/);
    expect(byName['jaegertracing/all-in-one']).toMatch(/^jaegertracing\/all-in-one:1\.62\.0@sha256:[0-9a-f]{64}$/);
  });
});
