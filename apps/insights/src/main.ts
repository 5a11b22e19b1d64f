import 'reflect-metadata';
import { ConfigService } from '@nestjs/config';
import { listen } from '@firstmile/http';
import { createApp } from './app';
import type { InsightsEnv } from './insights.env';

async function main(): Promise<void> {
  const app = await createApp();
  await listen(app, app.get(ConfigService<InsightsEnv, true>).get('PORT', { infer: true }));
}

void main();
