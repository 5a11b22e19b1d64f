import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A compiled module whose line 3 throws, with an inline source map: its lines come from 11–14 of `source`. */
function compiled(file: string, source: string): void {
  const map = { version: 3, sources: [source], names: [], mappings: 'AAUA;AACA;AACA;AACA' };
  const code = "'use strict';\nexports.boom = function boom() {\n  throw new Error('boom');\n};\n";
  writeFileSync(file, `${code}//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`);
}

/** Where each module's error says it was thrown, in a Node process preloading source-maps.ts (Node ≥ 23.6 strips its types). */
function thrownAt(dir: string, nodeFlags: string[] = []): string[] {
  const script = `for (const m of ${JSON.stringify([join(dir, 'own.js'), join(dir, 'node_modules', 'pkg', 'index.js')])}) {
    try { require(m).boom(); } catch (e) { console.log(/\\((.*)\\)/.exec(e.stack.split('\\n')[1])[1]); }
  }`;
  return execFileSync(process.execPath, [...nodeFlags, '--require', join(__dirname, 'source-maps.ts'), '-e', script], { encoding: 'utf8' }).trim().split('\n');
}

describe('source maps', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'firstmile-source-maps-'));
    mkdirSync(join(dir, 'node_modules', 'pkg'), { recursive: true });
    compiled(join(dir, 'own.js'), 'own.ts');
    compiled(join(dir, 'node_modules', 'pkg', 'index.js'), 'pkg.ts');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("map Firstmile's own frames to their source and leave a package's as it was published", () => {
    expect(thrownAt(dir)).toEqual([`${join(dir, 'own.ts')}:13:1`, `${join(dir, 'node_modules', 'pkg', 'index.js')}:3:9`]);
  });

  it('are all kept when the process was started with --enable-source-maps', () => {
    expect(thrownAt(dir, ['--enable-source-maps'])).toEqual([`${join(dir, 'own.ts')}:13:1`, `${join(dir, 'node_modules', 'pkg', 'pkg.ts')}:13:1`]);
  });
});
