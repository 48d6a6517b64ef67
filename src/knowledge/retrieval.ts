/**
 * What the chat turn asks of the knowledge base: the top passages for a question, within one
 * business only, honouring its enabled categories. Implemented by Postgres full-text search
 * in `fulltext.retriever.ts`.
 */
export interface RetrievedPassage {
  documentId: string;
  title: string;
  /** The chunk text passed to the provider as context. */
  text: string;
  /** A short excerpt for `Source.snippet`. */
  snippet: string;
  score: number;
  category?: string | null;
  sourceUrl?: string | null;
}

export interface RetrieveOptions {
  businessId: string;
  query: string;
  limit?: number;
  /** Empty or absent: all categories. */
  categories?: readonly string[];
  /** The business's synonym groups (`Business.synonyms`): a term of the question is also looked for as the others. */
  synonyms?: readonly (readonly string[])[];
}

export interface Retriever {
  retrieve(options: RetrieveOptions): Promise<RetrievedPassage[]>;
}
