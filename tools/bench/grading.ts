/**
 * Grading ingest in fruits/second: runs tools/bench/grading-ingest.ts (its own script, owned by the
 * grading team) as a child process against this run's Kafka and FerretDB, and reads its figures.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { BenchConfig } from './baselines';
import { errorText, out } from './lib';
import type { Results } from './results';

const num = (s: string) => Number(s.replace(/,/g, ''));

export async function gradingIngest(
  cfg: BenchConfig,
  results: Results,
  onPid: (pid: number | undefined) => void,
): Promise<void> {
  const fig = {
    key: 'firstmile.grading.ingest',
    section: 'Firstmile' as const,
    label: 'grading ingest (POST measurements, 10,000 fruits a batch)',
    unit: 'fruits/s',
  };
  const rules = {
    key: 'firstmile.grading.rules',
    section: 'Firstmile' as const,
    label: 'grading rules alone (in-process, no HTTP or store)',
    unit: 'fruits/s',
  };
  try {
    const script = path.join(cfg.repoRoot, 'tools', 'bench', 'grading-ingest.ts');
    const tsNode = path.join(cfg.repoRoot, 'node_modules', 'ts-node', 'dist', 'bin.js');
    const stdout = await new Promise<string>((resolve, reject) => {
      // Run the way its header says: ts-node with the workspace's path aliases.
      const child = spawn(
        process.execPath,
        [tsNode, '--transpile-only', '-r', 'tsconfig-paths/register', script],
        {
          cwd: cfg.repoRoot,
          env: {
            ...process.env,
            KAFKA_BROKERS: cfg.kafkaBrokers,
            MONGO_URL: cfg.mongoUrl,
            ...(cfg.quick ? { BENCH_BATCHES: '8' } : {}),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      onPid(child.pid);
      let text = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        onPid(undefined);
        if (code === 0) resolve(text);
        else
          reject(
            new Error(
              `grading-ingest.ts exited ${signal ?? code}: ${(err || text).trim().split('\n').slice(0, 3).join(' | ')}`,
            ),
          );
      });
    });
    const ingest = /ingest:\s+([\d,]+) fruit/.exec(stdout);
    if (!ingest)
      throw new Error(
        `could not read the ingest figure from grading-ingest.ts output: ${stdout.slice(0, 200)}`,
      );
    const batch = /per batch:\s+(.*)/.exec(stdout)?.[1]?.trim();
    const header = /\(([^)]*batches[^)]*)\)/.exec(stdout)?.[1];
    results.set({
      ...fig,
      value: num(ingest[1]),
      detail: [header, batch ? `per batch ${batch}` : undefined].filter(Boolean).join('; '),
    });
    const r = /rules only:\s+([\d,]+) fruits/.exec(stdout);
    if (r) results.set({ ...rules, value: num(r[1]), detail: 'GB/T 10651-2008 tally, for scale' });
    out(`[bench]   grading ingest ${ingest[1]} fruits/s`);
  } catch (e) {
    results.miss(fig, errorText(e));
  }
}
