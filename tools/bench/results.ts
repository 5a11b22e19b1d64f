/**
 * The figures of one benchmark run. Every figure the brief asks for is recorded, either with its
 * value or with the reason it could not be measured, so a partial run still says what is missing.
 */

export type Section =
  | 'Baselines'
  | 'Firstmile'
  | 'Where the order burst spends its time'
  | 'Where an order spends its time at half rate'
  | 'Store commands per order of the burst'
  | 'Store commands per lot logged'
  | 'Growth: list pages as the store fills (p50)'
  | 'Memory (RSS, MiB)'
  | 'Start-up';

export interface Figure {
  /** Stable id, used by the ratios and by docs/benchmarks.md across runs. */
  key: string;
  section: Section;
  label: string;
  unit: string;
  value?: number;
  /** Secondary numbers (latency percentiles, counts, sample sizes). */
  detail?: string;
  /** "0.42× bare endpoint", filled in by `ratios()`. */
  ratio?: string;
  /** Why there is no value. */
  missing?: string;
}

export interface RunResults {
  startedAt: string;
  finishedAt?: string;
  durationS?: number;
  machine: Record<string, string | number>;
  settings: Record<string, string | number>;
  figures: Figure[];
  /** Each phase's wall time and CPU use: ours (this run's processes) and everyone else's on the box. */
  phases: Array<{ name: string; seconds: number; oursCpuPct: number; othersCpuPct: number; byProcess?: Record<string, number> }>;
  notes: string[];
}

export class Results {
  readonly run: RunResults;

  constructor(machine: RunResults['machine'], settings: RunResults['settings']) {
    this.run = { startedAt: new Date().toISOString(), machine, settings, figures: [], phases: [], notes: [] };
  }

  set(f: Omit<Figure, 'missing'>): void {
    this.upsert({ ...f });
  }

  miss(f: Omit<Figure, 'value' | 'missing'>, reason: string): void {
    if (this.get(f.key)?.value !== undefined) return;
    this.upsert({ ...f, missing: reason });
  }

  get(key: string): Figure | undefined {
    return this.run.figures.find((f) => f.key === key);
  }

  value(key: string): number | undefined {
    return this.get(key)?.value;
  }

  note(line: string): void {
    this.run.notes.push(line);
  }

  /** Puts the ratio `figure / base` beside a figure, when both were measured. */
  ratio(key: string, baseKey: string, baseName: string, scale = 1): void {
    const f = this.get(key);
    const base = this.value(baseKey);
    if (!f || f.value === undefined || !base) return;
    const x = (f.value * scale) / base;
    const r = `${x >= 0.1 ? x.toFixed(2) : x.toPrecision(2)}× ${baseName}`;
    f.ratio = f.ratio ? `${f.ratio}; ${r}` : r;
  }

  private upsert(f: Figure): void {
    const i = this.run.figures.findIndex((x) => x.key === f.key);
    if (i >= 0) this.run.figures[i] = f;
    else this.run.figures.push(f);
  }
}

export const SECTIONS: Section[] = [
  'Baselines',
  'Firstmile',
  'Where the order burst spends its time',
  'Where an order spends its time at half rate',
  'Store commands per order of the burst',
  'Store commands per lot logged',
  'Growth: list pages as the store fills (p50)',
  'Memory (RSS, MiB)',
  'Start-up',
];

function fmtValue(f: Figure): string {
  if (f.value === undefined) return 'not measured';
  const digits = f.value >= 100 ? 0 : f.value >= 10 ? 1 : 2;
  return `${f.value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 })} ${f.unit}`;
}

/** Rows of [figure, value, ratio, detail] per section. */
export function rows(run: RunResults): Array<{ section: Section; cells: string[][] }> {
  return SECTIONS.map((section) => ({
    section,
    cells: run.figures
      .filter((f) => f.section === section)
      .map((f) => [
        f.label,
        fmtValue(f),
        f.ratio ?? '',
        f.missing ? `not measured: ${f.missing}` : (f.detail ?? ''),
      ]),
  })).filter((s) => s.cells.length > 0);
}

/** The readable table for the terminal. */
export function textTable(run: RunResults): string {
  const header = ['figure', 'value', 'ratio', 'detail'];
  const all = rows(run).flatMap((s) => s.cells);
  const width = header.map((h, i) =>
    Math.min(i === 3 ? 90 : 60, Math.max(h.length, ...all.map((r) => r[i].length))),
  );
  const line = (cells: string[]) => cells.map((c, i) => (i === 3 ? c : c.padEnd(width[i]))).join('  ');
  const lines: string[] = [];
  for (const s of rows(run)) {
    lines.push(
      '',
      `── ${s.section} ${'─'.repeat(Math.max(0, width[0] + width[1] + width[2] - s.section.length))}`,
    );
    lines.push(line(header));
    for (const r of s.cells) lines.push(line(r));
  }
  return lines.join('\n');
}

/** Per phase: how long it took and how busy the machine was, ours and others' (100 % = both cores). */
export function phaseTable(run: RunResults, markdown: boolean): string {
  const head = ['phase', 'seconds', 'CPU, this run', 'CPU, other processes'];
  const body = run.phases.map((p) => [
    p.name,
    p.seconds.toFixed(0),
    `${p.oursCpuPct.toFixed(0)} %`,
    `${p.othersCpuPct.toFixed(0)} %`,
  ]);
  if (markdown)
    return [
      '| ' + head.join(' | ') + ' |',
      '|---|---:|---:|---:|',
      ...body.map((r) => `| ${r.join(' | ')} |`),
    ].join('\n');
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  return [head, ...body].map((r) => r.map((c, i) => c.padEnd(w[i])).join('  ')).join('\n');
}

/** The same tables as Markdown (for docs/benchmarks.md). */
export function markdownTables(run: RunResults): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return rows(run)
    .map((s) =>
      [
        `#### ${s.section}`,
        '',
        '| figure | value | ratio | detail |',
        '|---|---:|---|---|',
        ...s.cells.map((r) => `| ${r.map(esc).join(' | ')} |`),
      ].join('\n'),
    )
    .join('\n\n');
}
