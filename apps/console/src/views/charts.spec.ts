import { columns, rows } from './charts';

describe('console charts', () => {
  it('scales bars to the largest value and names each with its figure', () => {
    const svg = rows('Sales by channel', [
      { label: 'livestream', value: 200, text: '200 kg · 3,360.00 CNY' },
      { label: 'retail', value: 50 },
      { label: 'wholesale', value: 0 },
    ], 'kg').value;
    const widths = [...svg.matchAll(/<rect x="150" y="\d+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toEqual([350, 87.5, 0]);
    expect(svg).toContain('<title>livestream: 200 kg · 3,360.00 CNY</title>');
    expect(svg).toContain('<title>retail: 50 kg</title>');
  });

  it('draws nothing taller than the chart, and an empty series as a flat line', () => {
    const svg = columns('Harvest per day', [
      { label: '2026-11-01', value: 1500.5 },
      { label: '2026-11-02', value: 0 },
    ], 'kg').value;
    const heights = [...svg.matchAll(/height="([\d.]+)" fill/g)].map((m) => Number(m[1]));
    expect(heights).toEqual([152, 0]);
    expect(svg).toContain('(peak 1,500.5 kg)');
    expect(columns('Nothing', [], 'kg').value).toContain('(peak 0 kg)');
  });

  it('escapes labels', () => {
    expect(rows('x', [{ label: '<script>', value: 1 }], 'kg').value).not.toContain('<script>');
  });
});
