import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import { type Admin, AssignerProtocol, Kafka, logLevel } from 'kafkajs';
import mongoose from 'mongoose';

/**
 * Reading the system from the outside after the faults: every service's database (what each one
 * stored) and the broker (consumer groups, dead letters). Nothing here writes, except `resetGroups`.
 */

export const DATABASES = {
  'harvest-intake': 'harvest',
  grading: 'grading',
  warehouse: 'warehouse',
  'order-routing': 'orders',
  insights: 'insights',
} as const;
type Doc = Record<string, unknown> & { _id: unknown };

export class Store {
  private constructor(
    private readonly conn: mongoose.Connection,
    private readonly prefix: string,
  ) {}

  static async open(url: string, prefix: string): Promise<Store> {
    return new Store(await mongoose.createConnection(url).asPromise(), prefix);
  }

  /** A service's database (the name the services derive from MONGO_DB_PREFIX). */
  db(service: keyof typeof DATABASES) {
    const { db } = this.conn.useDb(`${this.prefix}firstmile_${DATABASES[service]}`, { useCache: true });
    if (!db) throw new Error(`no connection to the ${service} database`);
    return db;
  }

  async all<T = Doc>(
    service: keyof typeof DATABASES,
    collection: string,
    filter: Record<string, unknown> = {},
    projection?: Record<string, 0 | 1>,
  ): Promise<T[]> {
    return (await this.db(service).collection(collection).find(filter, { projection }).sort({ _id: 1 }).toArray()) as T[];
  }

  /**
   * A stable fingerprint of every collection of every service: a hash per document (canonical JSON,
   * keys sorted) and one per collection over the sorted document hashes.
   */
  async fingerprint(): Promise<Fingerprint> {
    const out: Fingerprint = {};
    for (const service of Object.keys(DATABASES) as Array<keyof typeof DATABASES>) {
      const names = (await this.db(service).listCollections({}, { nameOnly: true }).toArray())
        .map((c) => c.name)
        .sort();
      for (const name of names) {
        const docs = await this.all(service, name);
        const byId: Record<string, string> = {};
        for (const d of docs) byId[canonical(d._id)] = hash(canonical(d));
        out[`${service}/${name}`] = {
          count: docs.length,
          hash: hash(Object.values(byId).sort().join('\n')),
          docs: byId,
        };
      }
    }
    return out;
  }

  /** One document as canonical JSON (for explaining a fingerprint difference). */
  async show(service: keyof typeof DATABASES, collection: string, id: unknown): Promise<string> {
    return canonical(
      await this.db(service)
        .collection(collection)
        .findOne({ _id: id as never }),
    );
  }

  close(): Promise<void> {
    return this.conn.close();
  }
}

export type Fingerprint = Record<string, { count: number; hash: string; docs: Record<string, string> }>;

/** Documents added, removed or changed between two fingerprints, per collection (empty: equal). */
export function diff(
  before: Fingerprint,
  after: Fingerprint,
): Array<{ collection: string; added: string[]; removed: string[]; changed: string[] }> {
  const out = [];
  for (const collection of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const a = before[collection]?.docs ?? {};
    const b = after[collection]?.docs ?? {};
    const added = Object.keys(b).filter((k) => !(k in a));
    const removed = Object.keys(a).filter((k) => !(k in b));
    const changed = Object.keys(a).filter((k) => k in b && a[k] !== b[k]);
    if (added.length || removed.length || changed.length) out.push({ collection, added, removed, changed });
  }
  return out;
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex');

/** JSON with object keys sorted; dates, ObjectIds and binary as tagged strings. */
export function canonical(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (v instanceof Date) return JSON.stringify(`$date:${v.toISOString()}`);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object') {
    const bsonType = (v as { _bsontype?: string })._bsontype;
    if (bsonType) return JSON.stringify(`$${bsonType}:${String(v)}`);
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export interface GroupLag {
  group: string;
  state: string;
  lag: number;
  byTopic: Record<string, number>;
}

/** The broker, as an operator's tools see it. */
export class Broker {
  readonly kafka: Kafka;
  private admin?: Admin;

  constructor(
    brokers: string,
    private readonly prefix: string,
  ) {
    this.kafka = new Kafka({
      clientId: 'chaos-inspector',
      brokers: brokers.split(','),
      logLevel: logLevel.NOTHING,
      retry: { retries: 3 },
    });
  }

  private async connected(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  /** Drops the admin connection (after the broker bounced it is dead). */
  async reset(): Promise<void> {
    const a = this.admin;
    this.admin = undefined;
    await a?.disconnect().catch(() => undefined);
  }

  async groups(): Promise<string[]> {
    const { groups } = await (await this.connected()).listGroups();
    return groups
      .map((g) => g.groupId)
      .filter((g) => g.startsWith(this.prefix))
      .sort();
  }

  async topics(): Promise<string[]> {
    return (await (await this.connected()).listTopics()).filter((t) => t.startsWith(this.prefix)).sort();
  }

  /**
   * Records not committed yet, per group: over every topic the group's members are assigned and
   * every topic it has committed offsets for (high watermark − committed; nothing committed = from
   * the log start, as the services subscribe from the beginning).
   */
  async lag(): Promise<GroupLag[]> {
    const admin = await this.connected();
    const groups = await this.groups();
    const described = groups.length ? (await admin.describeGroups(groups)).groups : [];
    const out: GroupLag[] = [];
    for (const g of described) {
      const topics = new Set<string>();
      for (const m of g.members) {
        const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
        for (const t of Object.keys(a?.assignment ?? {})) topics.add(t);
      }
      const committed = await admin.fetchOffsets({ groupId: g.groupId });
      for (const c of committed) topics.add(c.topic);
      const byTopic: Record<string, number> = {};
      let total = 0;
      for (const topic of topics) {
        const ends = await admin.fetchTopicOffsets(topic);
        const mine = committed.find((c) => c.topic === topic)?.partitions ?? [];
        let lag = 0;
        for (const end of ends) {
          const c = mine.find((p) => p.partition === end.partition)?.offset ?? '-1';
          const from = BigInt(c) < 0n ? BigInt(end.low) : BigInt(c);
          lag += Number(BigInt(end.high) > from ? BigInt(end.high) - from : 0n);
        }
        if (lag > 0) byTopic[topic.slice(this.prefix.length)] = lag;
        total += lag;
      }
      out.push({ group: g.groupId.slice(this.prefix.length), state: g.state, lag: total, byTopic });
    }
    return out;
  }

  /**
   * For a failed run: every group still behind, with its members, what each is assigned, and per
   * partition the committed offset against the end of the log (a stuck member shows as an assigned
   * partition whose committed offset does not move).
   */
  async lagging(): Promise<Array<Record<string, unknown>>> {
    const admin = await this.connected();
    const behind = (await this.lag()).filter((g) => g.lag > 0);
    const out: Array<Record<string, unknown>> = [];
    if (behind.length === 0) return out;
    const { groups } = await admin.describeGroups(behind.map((g) => `${this.prefix}${g.group}`));
    for (const g of groups) {
      const members = g.members.map((m) => ({
        member: m.memberId,
        assigned: AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {},
      }));
      const partitions: string[] = [];
      for (const c of await admin.fetchOffsets({ groupId: g.groupId })) {
        const ends = await admin.fetchTopicOffsets(c.topic);
        for (const e of ends) {
          const committed = c.partitions.find((p) => p.partition === e.partition)?.offset ?? '-1';
          if (committed !== e.high) partitions.push(`${c.topic.slice(this.prefix.length)}/${e.partition} committed ${committed} of ${e.high}`);
        }
      }
      out.push({ group: g.groupId.slice(this.prefix.length), state: g.state, members, partitions });
    }
    return out;
  }

  /** Records in every dead-letter topic (high − low watermark), by logical topic. */
  deadLetters(): Promise<Record<string, number>> {
    return this.counted((t) => t.endsWith('.dlt'));
  }

  /** Records sent to a retry topic (a handler failed and was tried again later), by logical topic. */
  retried(): Promise<Record<string, number>> {
    return this.counted((t) => /\.retry\.\d+$/.test(t));
  }

  /** Records in every topic of the prefix that `which` picks (high − low watermark), the non-empty ones. */
  private async counted(which: (topic: string) => boolean): Promise<Record<string, number>> {
    const admin = await this.connected();
    const out: Record<string, number> = {};
    for (const topic of (await this.topics()).filter(which)) {
      const n = (await admin.fetchTopicOffsets(topic)).reduce(
        (s, p) => s + Number(BigInt(p.high) - BigInt(p.low)),
        0,
      );
      if (n > 0) out[topic.slice(this.prefix.length)] = n;
    }
    return out;
  }

  /** Every group of the prefix back to the earliest offset of every topic it reads (groups must be empty). */
  async resetGroups(): Promise<Record<string, string[]>> {
    const admin = await this.connected();
    const out: Record<string, string[]> = {};
    for (const groupId of await this.groups()) {
      const committed = await admin.fetchOffsets({ groupId });
      out[groupId.slice(this.prefix.length)] = committed.map((c) => c.topic.slice(this.prefix.length));
      for (const { topic } of committed) {
        const ends = await admin.fetchTopicOffsets(topic);
        await admin.setOffsets({
          groupId,
          topic,
          partitions: ends.map((e) => ({ partition: e.partition, offset: e.low })),
        });
      }
    }
    return out;
  }

  /**
   * Every record of these logical topics whose value mentions one of `needles`, read from the start
   * with a throw-away group: the evidence for a failed check (what was published, where, when).
   */
  async records(logicalTopics: string[], needles: string[]): Promise<string[]> {
    if (needles.length === 0) return [];
    const admin = await this.connected();
    const topics = logicalTopics.map((t) => `${this.prefix}${t}`);
    const ends = new Map<string, bigint>();
    for (const t of topics)
      for (const e of await admin.fetchTopicOffsets(t)) ends.set(`${t}/${e.partition}`, BigInt(e.high));
    const pending = new Set([...ends].filter(([, high]) => high > 0n).map(([k]) => k));
    const found: string[] = [];
    const consumer = this.kafka.consumer({ groupId: `chaos-evidence-${Date.now()}`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 30_000);
      if (pending.size === 0) resolve();
      void consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          const value = message.value?.toString() ?? '';
          if (needles.some((n) => value.includes(n))) {
            const type = message.headers?.['ce_type']?.toString() ?? '?';
            found.push(
              `${new Date(Number(message.timestamp)).toISOString()} ${topic.slice(this.prefix.length)}/${partition}@${message.offset} ${type} key=${message.key?.toString()} ${value.slice(0, 300)}`,
            );
          }
          if (BigInt(message.offset) + 1n >= (ends.get(`${topic}/${partition}`) ?? 0n))
            pending.delete(`${topic}/${partition}`);
          if (pending.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    return found.sort();
  }

  /** The node that leads a partition of a (logical) topic now: the one to kill in a cluster. */
  async leader(logicalTopic: string, partition = 0): Promise<number> {
    const physical = `${this.prefix}${logicalTopic}`;
    const { topics } = await (await this.connected()).fetchTopicMetadata({ topics: [physical] });
    const leader = topics[0]?.partitions.find((p) => p.partitionId === partition)?.leader;
    if (leader === undefined || leader < 0) throw new Error(`no leader for ${physical}/${partition}`);
    return leader;
  }

  async close(): Promise<void> {
    await this.reset();
  }
}

/**
 * CPU time (ms) used so far by the run's processes, by what they are: each service (its primary
 * and workers together), Kafka, FerretDB, and the load's client (this process). A process is the run's when its command line names the
 * run's data directory (the broker and the store) or its environment carries the run's topic
 * prefix (the services). A process that died since the last reading takes its time with it;
 * the chaos suite reports the differences between readings, so a kill shows as a dip.
 */
export function cpuMs(runId: string): Map<string, number> {
  const out = new Map<string, number>();
  const tickMs = 10; // USER_HZ is 100 on Linux
  let pids: string[] = [];
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out; // not Linux: nothing to report
  }
  for (const pid of pids) {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const ours = cmdline.includes(`chaos-${runId}`) || `\0${fs.readFileSync(`/proc/${pid}/environ`, 'utf8')}`.includes(`\0KAFKA_TOPIC_PREFIX=${runId}.`);
      if (!ours) continue;
      const name = /ferretdb/i.test(cmdline) ? 'ferretdb' : /java/.test(cmdline) ? 'kafka' : (/dist\/apps\/([a-z-]+)\//.exec(cmdline)?.[1] ?? 'other');
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(name, (out.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) * tickMs);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  // The load's own client runs in this process.
  const self = process.cpuUsage();
  out.set('client', (self.user + self.system) / 1000);
  return out;
}
