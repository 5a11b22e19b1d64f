import { type ContractDoc, configFor } from './schemathesis';

describe('configFor: every operation of a document gets a caller and seeded ids, with no list of routes', () => {
  const world = {
    callers: { ops: { role: 'ops' as const, sub: 'c-ops' }, buyer: { role: 'buyer' as const, sub: 'c-buyer', buyer: 'B-1' }, coop_manager: { role: 'coop_manager' as const, sub: 'c-m', coop: 'COOP-2B7XQ9KD1M' } },
    ids: ['COOP-2B7XQ9KD1M', 'ORD-6H2NV8XC4R', 'WH-LIXIAN-ORIGIN'],
  };
  const doc: ContractDoc = {
    paths: {
      '/v1/prices/{id}': {
        // A route added tomorrow: it declares its roles (describeBehaviour) and its id pattern (ApiIdParam).
        get: { operationId: 'PricesController_get', 'x-roles': ['buyer', 'ops'], parameters: [{ name: 'id', in: 'path', schema: { pattern: '^ORD-[0-9A-HJKMNP-TV-Z]{10}$' } }] },
      },
      '/v1/settlements': { post: { operationId: 'SettlementsController_create', 'x-roles': ['coop_manager'] } },
      '/v1/warehouses/{id}': {
        get: { operationId: 'WarehousesController_get', parameters: [{ name: 'id', in: 'path', schema: { pattern: '^[A-Z0-9-]{2,40}$', example: 'WH-LIXIAN-ORIGIN' } }] },
      },
      '/health/live': { get: { operationId: 'HealthController_live', security: [] } },
    },
  };
  const config = configFor(doc, world);
  const block = (id: string) => config.split('[[operations]]').find((b) => b.includes(`"${id}"`)) ?? '';

  it('calls with ops where the route admits it, else with the first role it admits', () => {
    expect(block('PricesController_get')).toMatch(/Authorization = "Bearer [\w-]+\.[\w-]+\.[\w-]+"/);
    const sub = (b: string) => JSON.parse(Buffer.from(/Bearer [\w-]+\.([\w-]+)\./.exec(b)?.[1] ?? '', 'base64url').toString()).sub as string;
    expect(sub(block('PricesController_get'))).toBe('c-ops');
    expect(sub(block('SettlementsController_create'))).toBe('c-m');
    // Authenticated but no roles: ops.
    expect(sub(block('WarehousesController_get'))).toBe('c-ops');
  });

  it("fills path parameters with the seeded id its pattern matches (the example's kind first)", () => {
    expect(block('PricesController_get')).toContain('"path.id" = "ORD-6H2NV8XC4R"');
    // COOP-… matches the loose warehouse pattern too; the example says which kind is meant.
    expect(block('WarehousesController_get')).toContain('"path.id" = "WH-LIXIAN-ORIGIN"');
  });

  it('sends no token to a public route', () => {
    expect(block('HealthController_live')).toBe('');
  });

  it('starts from the shared settings in schemathesis.toml', () => {
    expect(config).toContain('[checks.positive_data_acceptance]');
  });
});
