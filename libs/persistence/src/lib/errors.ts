/** The write hit a unique index (E11000): the document, or one with the same key, exists. */
export const isDuplicateKey = (err: unknown): boolean => (err as { code?: number } | null)?.code === 11000;
