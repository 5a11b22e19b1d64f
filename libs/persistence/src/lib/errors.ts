const code = (e: unknown) => (e as { code?: unknown } | null)?.code;

/**
 * The write hit a unique index (E11000): the document, or one with the same key, exists. For a bulk
 * write, only when every one of its write errors is that (mongoose hands FerretDB's on as `{ err, index }`).
 */
export function isDuplicateKey(err: unknown): boolean {
  const writeErrors = (err as { writeErrors?: unknown } | null)?.writeErrors;
  if (writeErrors === undefined) return code(err) === 11000;
  const all: unknown[] = Array.isArray(writeErrors) ? writeErrors : [writeErrors];
  return all.length > 0 && all.every((e) => code(e) === 11000 || code((e as { err?: unknown }).err) === 11000);
}

/**
 * Inserts a document whose id (or other unique key) makes the insert idempotent: true when this call
 * created it, false when it exists already. Any other failure is thrown.
 */
export async function createOnce(model: { create(doc: object): Promise<unknown> }, doc: object): Promise<boolean> {
  try {
    await model.create(doc);
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}

/** The positions of the statements an unordered bulk write or insert refused as duplicates. */
export function duplicateIndexes(err: unknown): number[] {
  const writeErrors = (err as { writeErrors?: unknown } | null)?.writeErrors;
  const all: Array<{ index?: number; err?: { index?: number } }> = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors as never] : [];
  return all.filter((e) => code(e) === 11000 || code(e.err) === 11000).map((e) => e.index ?? e.err?.index ?? -1).filter((i) => i >= 0);
}
