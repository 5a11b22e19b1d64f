import 'reflect-metadata';
import { ConfigService } from '@nestjs/config';
import { listen, runReplicated } from '@firstmile/http';
import { createApp } from './app';
import type { OrderRoutingEnv } from './order-routing.env';

async function main(): Promise<void> {
  const app = await createApp();
  await listen(app, app.get(ConfigService<OrderRoutingEnv, true>).get('PORT', { infer: true }));
}

// REPLICAS=N: N processes of the service on its port (see runReplicated); one by default.
void runReplicated('order-routing', main);
