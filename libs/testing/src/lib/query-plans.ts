import mongoose, { type Schema } from 'mongoose';
import type { Db, Document } from 'mongodb';
import { databaseName } from '@firstmile/persistence';
import { runEnv } from './infra';

/** One query a service makes: the filter, sort and limit it sends, and the method that sends it. */
export interface QueryShape {
  /** Where the code makes it, e.g. `LotsService.list (coop manager)`. */
  name: string;
  collection: string;
  filter: Document;
  sort?: Document;
  limit?: number;
  /**
   * The index that must serve it, by name (`status_1_produce_1_createdAt_-1__id_-1`), where more
   * than one could: the store may pick one that reads far more than the page.
   */
  index?: string;
}

export interface QueryPlan {
  /** The store reads an index range (or walks an index in order, stopping at the limit), not the collection. */
  indexed: boolean;
  /** The sort comes from the index: no sort of every match in memory. */
  sortedByIndex: boolean;
  plan: string;
}

/** How a store would run a `find`, on the embedded store (SQLite's plan) or on MongoDB (the winning plan). */
export async function queryPlan(db: Db, shape: Omit<QueryShape, 'name'>): Promise<QueryPlan> {
  const find = { find: shape.collection, filter: shape.filter, ...(shape.sort ? { sort: shape.sort } : {}), ...(shape.limit ? { limit: shape.limit } : {}) };
  const explained = await db.command({ explain: find, verbosity: 'queryPlanner' });
  const planner = explained['queryPlanner'] as Document;
  if (Array.isArray(planner['Plan'])) {
    const lines = (planner['Plan'] as string[]).map((l) => l.replace(/^.*detail=/, ''));
    const plan = lines.join(' | ');
    const sortedByIndex = !/TEMP B-TREE/.test(plan);
    // SEARCH: an index range. SCAN … USING INDEX: the index walked in the sort's order, which the
    // limit stops; without a limit that is a read of everything, so it does not count then.
    const indexed = lines.some((l) => /^SEARCH .* USING (COVERING )?INDEX /.test(l) || (shape.limit !== undefined && /^SCAN .* USING (COVERING )?INDEX /.test(l)));
    return { indexed, sortedByIndex, plan };
  }
  const plan = JSON.stringify(planner['winningPlan']);
  return { indexed: plan.includes('IXSCAN') && !plan.includes('COLLSCAN'), sortedByIndex: !plan.includes('"SORT"'), plan };
}

/**
 * A database of this run with the given schemas' collections and indexes, each holding `docs`
 * documents made by `sample` (so the store knows the fields' value types, as it would in use).
 */
export async function indexedCollections(
  database: string,
  schemas: Record<string, { schema: Schema; sample: (i: number) => Document }>,
  docs = 200,
): Promise<{ db: Db; close(): Promise<void> }> {
  const conn = await mongoose.createConnection(runEnv('MONGO_URL'), { dbName: databaseName(runEnv('MONGO_DB_PREFIX'), database) }).asPromise();
  const db = conn.getClient().db(conn.name);
  for (const [collection, { schema, sample }] of Object.entries(schemas)) {
    await conn.model(collection, schema, collection).init(); // creates the schema's indexes, as the service does at start
    await db.collection(collection).insertMany(Array.from({ length: docs }, (_, i) => sample(i)));
  }
  return {
    db,
    close: async () => {
      await db.dropDatabase();
      await conn.close();
    },
  };
}

/** Every shape's plan, for one assertion that names the shapes a store would scan. */
export async function unindexedShapes(db: Db, shapes: QueryShape[]): Promise<string[]> {
  const bad: string[] = [];
  for (const s of shapes) {
    const p = await queryPlan(db, s);
    if (!p.indexed || !p.sortedByIndex || (s.index && !usesIndex(p.plan, s.index))) bad.push(`${s.name}: ${p.plan}`);
  }
  return bad;
}

/** MongoDB names the index in its plan; FerretDB's SQLite plan names it after the table (`lots_<hash>_<name>`). */
function usesIndex(plan: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return plan.includes(`"indexName":"${name}"`) || new RegExp(`_[0-9a-f]{8}_${escaped} `).test(plan);
}
