import * as path from 'node:path';
import { REPO_ROOT } from '@firstmile/testing';
import { requireTool, type ServiceName, startStack, type Stack } from '../stack';
import { CALLERS, seedWorld, SERVICES, type World } from '../hostile/world';
import { type ContractDoc, configFor, ensureSchemathesis, MAX_EXAMPLES, runSchemathesis, SEED } from './schemathesis';

/**
 * The services against their own OpenAPI documents, as a client generated from them would see them:
 * Schemathesis (`--checks all`: no 5xx, only documented statuses, bodies and headers as documented,
 * schema-valid requests accepted, schema-invalid ones refused, auth enforced, 405 for other methods)
 * on every operation of every service, with a token of a role the operation admits and the seeded
 * ids. See docs/testing.md. `CONTRACT_PORT_OFFSET=<n>` runs it against a running `npm start` with
 * FIRSTMILE_PORT_OFFSET=<n> instead of a stack of its own.
 */
describe('contracts: Schemathesis against every service', () => {
  let stack: Stack | undefined;
  let world: World;
  let urlOf: (service: ServiceName, p: string) => string;
  let st: string;

  beforeAll(async () => {
    // First, so a missing python3 fails before a stack is started for nothing.
    st = ensureSchemathesis();
    const offset = process.env['CONTRACT_PORT_OFFSET'];
    if (offset !== undefined) {
      const { SERVICES: ports } = requireTool<{ SERVICES: Array<{ name: string; port: number }> }>('tools/dev/stack.mjs');
      urlOf = (s, p) => `http://127.0.0.1:${(ports.find((x) => x.name === s)?.port ?? 0) + Number(offset)}${p}`;
    } else {
      stack = await startStack('contract');
      urlOf = (s, p) => (stack as Stack).url(s, p);
    }
    world = await seedWorld({ url: (s: ServiceName | 'console', p = '') => urlOf(s as ServiceName, p) } as Stack);
  }, 600_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it.each(SERVICES.map((s) => [s]))('%s keeps its OpenAPI contract', async (service) => {
    const docUrl = urlOf(service, '/docs-json');
    const doc = (await (await fetch(docUrl)).json()) as ContractDoc;
    const callers = Object.fromEntries(
      (['opsUser', 'managerA', 'buyerA', 'lineA', 'operatorA', 'logistics'] as const).map((c) => {
        const p = world.principal(c) ?? CALLERS[c];
        return [p.role, p];
      }),
    );
    const ids = [world.coopA, world.growerA, world.orchardA, world.lotA, world.lotA2, world.subLotA, world.traceCodeA, world.orderA, world.shipmentA, world.transferA, 'WH-LIXIAN-ORIGIN'];
    const t0 = Date.now();
    const run = await runSchemathesis(st, service, docUrl, configFor(doc, { callers, ids }), path.join(REPO_ROOT, '.cache', 'schemathesis-runs'));
    const summary = run.output.split('\n').filter((l) => /^\s*(Test cases:|\d+ generated|=+ .* in [\d.]+s)/.test(l));
    process.stderr.write(`[schemathesis] ${service}: exit ${run.code} in ${Date.now() - t0} ms (seed ${SEED}, ≤ ${MAX_EXAMPLES} examples) ${summary.join(' ').trim()}\n`);
    if (run.code !== 0) throw new Error(`Schemathesis found failures on ${service}:\n${run.output.slice(-12_000)}`);
  });
});
