import { mongo } from 'mongoose';

/**
 * What `GroupCommit` needs of a mongoose model: its `insertMany`, unordered and `lean`. Lean:
 * mongoose neither builds a document of each nor casts, validates or adds defaults, so each
 * document must be given as it is to be stored (see `GroupCommit`); its insertMany middleware
 * still runs.
 */
export interface InsertManyModel {
  insertMany(docs: object[], options: { ordered: false; lean: true }): Promise<unknown>;
}

export interface GroupCommitOptions {
  /**
   * Longest a document waits for others before its group is written (ms). 0: a group is written as
   * soon as a write slot is free, and what arrives while every slot is busy forms the next group.
   */
  lingerMs: number;
  /** A group is written as soon as it holds this many documents. */
  maxDocs: number;
  /** Groups written at once. */
  concurrency: number;
}

/**
 * Measured on the embedded store under `npm run bench` (see docs/architecture.md). FerretDB 1.24
 * inserts up to 100 documents in one SQLite transaction and a larger command in several, so a group
 * of 200 is two transactions in one round trip; no statement holds a cursor the way a bulk update
 * does (the BULK_CHUNK note in outbox-relay.ts), so the size is not bounded by its pool.
 */
export const GROUP_COMMIT_DEFAULTS: GroupCommitOptions = { lingerMs: 2, maxDocs: 200, concurrency: 2 };

interface Waiter {
  doc: object;
  resolve(created: boolean): void;
  reject(err: unknown): void;
}

const codeOf = (e: unknown): unknown => (e as { code?: unknown } | null)?.code;

/**
 * Group commit for creates: concurrent `insert`s of one model are gathered for at most `lingerMs`
 * (or until `maxDocs`) and written with ONE unordered `insertMany`. The store charges per command
 * (FerretDB: ~0.8 ms of CPU per single insert, ~0.2 ms per document of a large `insertMany`), so a
 * burst of creates costs a few commands instead of one each.
 *
 * Each caller gets the answer its own document got, as if it had been inserted alone:
 * - resolves `true` once the command that wrote it returned, so the document is durable;
 * - resolves `false` when the store refused it as a duplicate key (E11000): the document, or one
 *   with its unique key, exists — an idempotent create's replay, also when the first copy is in
 *   the same group (the first wins, `ordered: false` goes on with the others);
 * - rejects with the document's own error when the store refused it;
 * - rejects every caller of a group whose command failed as a whole (connection lost, timeout):
 *   none of them knows whether its document was written, exactly as with a lost single insert.
 *
 * The documents go to the store as given (a lean insertMany): complete, every field of its schema's
 * type and every default filled in, as the repository builds them from an already validated request.
 * Building a mongoose document of each only to find it already right cost ~0.1 ms of CPU per document,
 * about a tenth of what logging a lot costs harvest-intake. Each repository's test compares what it
 * builds with `storedForm` (libs/testing): what mongoose would have stored.
 *
 * Nothing here is shared between processes: each replica gathers its own requests, and what makes
 * a create idempotent stays the store's unique `_id`. Save middleware does not run for these
 * inserts; insertMany middleware does (the outbox plugin hands the new outboxes to the relay there).
 */
export class GroupCommit {
  private group: Waiter[] = [];
  private timer?: NodeJS.Timeout;
  /** The current group has waited its `lingerMs` (or is full) and goes at the next free slot. */
  private due = false;
  private writing = 0;
  private readonly options: GroupCommitOptions;

  constructor(
    private readonly model: InsertManyModel,
    options: Partial<GroupCommitOptions> = {},
  ) {
    this.options = { ...GROUP_COMMIT_DEFAULTS, ...options };
    if (this.options.maxDocs < 1 || this.options.concurrency < 1 || this.options.lingerMs < 0) {
      throw new Error(`GroupCommit: maxDocs and concurrency must be ≥ 1, lingerMs ≥ 0 (${JSON.stringify(this.options)})`);
    }
  }

  /** Inserts `doc` with the others of its group: true when written, false when its key exists. */
  insert(doc: object): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.group.push({ doc, resolve, reject });
      if (this.group.length >= this.options.maxDocs) this.ready();
      else if (this.group.length === 1) {
        if (this.options.lingerMs === 0) this.ready();
        else this.timer = setTimeout(() => this.ready(), this.options.lingerMs);
      }
    });
  }

  private ready(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.due = true;
    this.next();
  }

  /** Writes the current group if it is due and a slot is free; a busy writer picks it up when done. */
  private next(): void {
    if (!this.due || this.writing >= this.options.concurrency || this.group.length === 0) return;
    const group = this.group.splice(0, this.options.maxDocs);
    // What is left (more than maxDocs arrived while every slot was busy) is due at once as well.
    this.due = this.group.length > 0;
    this.writing++;
    void this.write(group).finally(() => {
      this.writing--;
      this.next();
    });
  }

  private async write(group: Waiter[]): Promise<void> {
    const docs = group.map((w) => w.doc);
    let outcomes: unknown[];
    try {
      await this.model.insertMany(docs, { ordered: false, lean: true });
      outcomes = group.map(() => true);
    } catch (err) {
      outcomes = perDocument(err, docs);
    }
    group.forEach((w, i) => {
      const outcome = outcomes[i];
      if (outcome === true) w.resolve(true);
      else if (codeOf(outcome) === 11000) w.resolve(false);
      else w.reject(outcome);
    });
  }
}

/**
 * Each document's outcome of a failed unordered insertMany: `true` (written) or its error. Mongoose
 * lists them in `results` (the document itself, or the driver's write error as `{ err, index }`),
 * but only a bulk error (a `writeErrors` list) tells which documents failed: any other error failed
 * the command, and then every document with it.
 */
function perDocument(err: unknown, docs: object[]): unknown[] {
  const e = err as { results?: unknown[]; writeErrors?: unknown } | null;
  const bulk = Array.isArray(e?.writeErrors) && e.writeErrors.length > 0;
  if (!bulk || !Array.isArray(e?.results) || e.results.length !== docs.length) return new Array<unknown>(docs.length).fill(err);
  return e.results.map((r, i) => {
    if (r === docs[i]) return true;
    if (r instanceof Error) return r;
    // The driver's WriteError spread by mongoose: its description is under `err`.
    const raw = (r as { err?: { code?: number; errmsg?: string } } | null)?.err ?? (r as { code?: number; errmsg?: string } | null);
    return new mongo.MongoServerError({ message: raw?.errmsg ?? 'write error', errmsg: raw?.errmsg, code: raw?.code });
  });
}
