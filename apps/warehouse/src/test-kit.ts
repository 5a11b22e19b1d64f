/**
 * Integration-test helpers for the warehouse: publish events and commands the way the other
 * services do (CloudEvents headers, JSON value) and build LotGradedV1 / ReserveStockV1 payloads.
 */
import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { type EventPayload, type EventType, LotGradedV1, toGrams, toHeaders, toKg } from '@firstmile/contracts';
import { newEvent, type OutboundEvent } from '@firstmile/messaging';
import { TopicProbe } from '@firstmile/testing';

export const DAY_MS = 86_400_000;

export async function producer(): Promise<Producer> {
  const p = TopicProbe.kafka().producer({ allowAutoTopicCreation: false });
  await p.connect();
  return p;
}

export const event = <T extends EventType>(type: T, data: EventPayload<T>): OutboundEvent => newEvent(type, data, { source: 'test' });

/** Sends events to their topics; `key` overrides the catalog's key (e.g. to spread one sub-lot's commands over partitions). */
export async function publish(p: Producer, events: OutboundEvent[], key?: (e: OutboundEvent) => string): Promise<void> {
  const byTopic = new Map<string, OutboundEvent[]>();
  for (const e of events) byTopic.set(e.topic, [...(byTopic.get(e.topic) ?? []), e]);
  await p.sendBatch({
    acks: -1,
    topicMessages: [...byTopic].map(([topic, es]) => ({
      topic: TopicProbe.physical(topic),
      messages: es.map((e) => ({ key: key ? key(e) : e.key, value: JSON.stringify(e.data), headers: toHeaders(e) })),
    })),
  });
}

export function graded(opts: { warehouseId: string; subLots: Array<{ grade: string; quantityKg: number; bestBefore?: string; brand?: string | null }> }): LotGradedV1 {
  const lotId = `LOT-${randomUUID().slice(0, 8).toUpperCase()}`;
  const total = toKg(opts.subLots.reduce((s, x) => s + toGrams(x.quantityKg), 0));
  return {
    lotId,
    cooperativeId: 'COOP-TEST',
    originWarehouseId: opts.warehouseId,
    produce: 'apple',
    variety: 'Fuji',
    standard: 'GB/T 10651-2008',
    lotQuantityKg: total,
    cullKg: 0,
    gradedAt: new Date().toISOString(),
    subLots: opts.subLots.map((s, i) => ({
      subLotId: `${lotId}-S${i + 1}`,
      grade: s.grade,
      quantityKg: s.quantityKg,
      brand: s.brand ?? null,
      traceCode: `TC-${lotId}-${i + 1}`,
      bestBefore: s.bestBefore ?? new Date(Date.now() + 120 * DAY_MS).toISOString(),
    })),
  };
}

export const json = <T>(r: { body: string }): T => JSON.parse(r.body) as T;
