// jsonld (digitalbazaar) ships no type declarations; this is the part the conformance tests use.
declare module 'jsonld' {
  export interface RemoteDocument {
    contextUrl: string | null;
    documentUrl: string;
    document: unknown;
  }
  export interface ExpandOptions {
    documentLoader?: (url: string) => Promise<RemoteDocument>;
    /** Safe mode: anything lossy (a term the context does not define, a bad IRI) is an error. */
    safe?: boolean;
  }
  export function expand(input: object, options?: ExpandOptions): Promise<object[]>;
}
