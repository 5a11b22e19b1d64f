import { isDeepStrictEqual } from 'node:util';
import { type Model, Mongoose, type Schema } from 'mongoose';

/**
 * What mongoose would store for `doc` in `model`'s collection, as a plain object: a document of the
 * model, cast, with its defaults, validated (throws the ValidationError). A lean insert stores the
 * document as given, so each repository's test compares what it inserts with this.
 */
export function storedForm(model: Model<never>, doc: object): Record<string, unknown> {
  const built = new model(doc) as unknown as { validateSync(): Error | undefined; toBSON(): Record<string, unknown> };
  const invalid = built.validateSync();
  if (invalid) throw invalid;
  return built.toBSON();
}

type NotStored = { given: object; stored?: object; refused?: string };

/**
 * A model of `schema` whose `insertMany` records what it is given instead of writing it, for unit
 * tests of the code that builds lean inserts (see GroupCommit). `notLean` lists the calls that were
 * not unordered and lean; `notStored` each recorded document that differs from what mongoose would
 * have stored (`storedForm`), with both forms, or why mongoose would refuse it.
 */
export function leanInsertRecorder<T>(name: string, schema: Schema<T>, methods: Record<string, unknown> = {}) {
  const Model = new Mongoose().model<T>(name, schema);
  const inserted: object[] = [];
  const calls: object[] = [];
  Object.assign(Model, {
    ...methods,
    insertMany: async (docs: object[], options: object) => {
      calls.push(options);
      inserted.push(...docs);
      return docs;
    },
  });
  return {
    Model,
    inserted,
    notLean: () => calls.filter((o) => JSON.stringify(o) !== JSON.stringify({ ordered: false, lean: true })),
    notStored: (): NotStored[] =>
      inserted.flatMap((doc): NotStored[] => {
        try {
          const stored = storedForm(Model as never, doc);
          return isDeepStrictEqual(stored, doc) ? [] : [{ given: doc, stored }];
        } catch (err) {
          return [{ given: doc, refused: String(err) }];
        }
      }),
  };
}
