import type { FastifyReply } from 'fastify';
import type { Upstream } from '../upstream';
import { InsightsController } from './insights.controller';
import type { Caller } from './session';

/** A reply that keeps what was sent. */
const replyStub = () => {
  const sent: { status: number; body: string } = { status: 200, body: '' };
  const reply = {
    status: (n: number) => ((sent.status = n), reply),
    type: () => reply,
    header: () => reply,
    send: (b: string) => ((sent.body = b), reply),
  };
  return { reply: reply as unknown as FastifyReply, sent };
};

const summary = {
  countyId: 'CN-GS-LIXIAN',
  name: 'Lixian',
  province: 'Gansu',
  from: '2026-11-01T00:00:00.000Z',
  to: '2026-11-03T00:00:00.000Z',
  harvested: { kg: 2400, lots: 3, byProduce: { apple: { kg: 2400, lots: 3 } } },
  graded: { byGrade: { premium: 900, grade_1: 900 }, cullKg: 150, brandedKg: 1800, brandedSharePct: 80 },
  sales: { orders: 3, kg: 500.5, revenue: '6525.60', byChannel: { livestream: { orders: 1, kg: 120.5, revenue: '2024.40' }, marketplace: { orders: 0, kg: 0, revenue: '0.00' }, wholesale: { orders: 2, kg: 380, revenue: '4501.20' }, retail: { orders: 0, kg: 0, revenue: '0.00' } } },
  deliveries: { shipments: 4, delivered: 3, onTimePct: 50, medianHoursToDeliver: 26.5 },
  growers: { paid: 2, revenue: '6525.60' },
  topDestinations: [{ city: "Xi'an", kg: 300 }],
  brandPremium: [{ produce: 'apple', grade: 'premium', brandedPerKg: '16.80', unbrandedPerKg: '11.00', premiumPct: 52.7 }],
  daily: [
    { date: '2026-11-01', harvestedKg: 2400, gradedKg: 0, soldKg: 0, revenue: '0.00' },
    { date: '2026-11-02', harvestedKg: 0, gradedKg: 1800, soldKg: 500.5, revenue: '6525.60' },
  ],
};

describe('console: the county view and the settlements table', () => {
  const calls: string[] = [];
  const upstream = {
    get: async (service: string, path: string) => {
      calls.push(`${service} ${path}`);
      if (path.startsWith('/v1/counties?')) return { status: 200, body: { items: [{ countyId: 'CN-GS-LIXIAN', name: 'Lixian', province: 'Gansu', harvestedKg: 2400, soldKg: 500.5, revenue: '6525.60' }] } };
      if (path.startsWith('/v1/counties/CN-GS-LIXIAN/summary')) return { status: 200, body: summary };
      if (path.startsWith('/v1/counties/')) return { status: 404, body: { type: 'urn:firstmile:problem:not-found', title: 'Not found', status: 404, detail: 'county CN-X does not exist' } };
      return {
        status: 200,
        body: {
          cooperativeId: 'COOP-1',
          from: summary.from,
          to: summary.to,
          growers: [{ growerId: 'GRW-1', name: 'Wang Jianguo', harvestedKg: 1000, gradedKg: { premium: 400 }, cullKg: 50, soldKg: 120.5, revenue: '2024.40' }],
          total: { harvestedKg: 1000, soldKg: 120.5, revenue: '2024.40' },
        },
      };
    },
  } as unknown as Upstream;
  const controller = new InsightsController(upstream);
  const caller = (principal: Caller['principal']): Caller => ({ principal, token: 't' }) as Caller;

  it("shows a county official its own county's season, whatever county the query names", async () => {
    const { reply, sent } = replyStub();
    await controller.county(caller({ sub: 'o', role: 'county_official', county: 'CN-GS-LIXIAN' }), { county: 'CN-JX-XUNWU', days: '7' }, reply);
    expect(sent.status).toBe(200);
    expect(calls.at(-1)).toMatch(/^insights \/v1\/counties\/CN-GS-LIXIAN\/summary\?from=.*&to=/);
    expect(sent.body).toContain('Lixian, Gansu');
    expect(sent.body).toContain('¥6,525.60');
    expect(sent.body).toContain('Harvest per day');
    expect(sent.body).toContain('<title>livestream: 120.5 kg · ¥2,024.40 · 1 orders</title>');
    expect(sent.body).toContain('52.7%');
  });

  it('passes on what insights refuses', async () => {
    const { reply, sent } = replyStub();
    await controller.county(caller({ sub: 'ops', role: 'ops' }), { county: 'CN-X' }, reply);
    expect(sent.status).toBe(404);
    expect(sent.body).toContain('county CN-X does not exist');
  });

  it("tables a cooperative's settlement per grower", async () => {
    const { reply, sent } = replyStub();
    await controller.settlements(caller({ sub: 'm', role: 'coop_manager', coop: 'COOP-1' }), { coop: 'COOP-2' }, reply);
    expect(calls.at(-1)).toMatch(/^insights \/v1\/cooperatives\/COOP-1\/settlements\?/);
    expect(sent.body).toContain('Wang Jianguo');
    expect(sent.body).toContain('¥2,024.40');
  });
});
