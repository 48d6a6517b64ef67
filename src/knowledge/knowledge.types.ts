import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DocumentFormat, IndexJobKind, IndexJobState } from './knowledge.entity';

registerEnumType(DocumentFormat, {
  name: 'DocumentFormat',
  description: 'How a document\'s content is written; HTML and Markdown are reduced to clean text before indexing.',
  valuesConfig: {
    TEXT: { description: 'Plain text.' },
    MARKDOWN: { description: 'Markdown; headings become section boundaries of the passages.' },
    HTML: { description: 'HTML; scripts, styles, navigation and forms are dropped.' },
    PDF: { description: 'An uploaded PDF (uploadKnowledgeFile); its text, page by page.' },
    DOCX: { description: 'An uploaded Word document (uploadKnowledgeFile); its text, paragraph by paragraph.' },
  },
});

registerEnumType(IndexJobState, {
  name: 'IndexJobState',
  description: 'Where an index job is.',
  valuesConfig: {
    QUEUED: { description: 'Waiting for a worker (also between retries).' },
    RUNNING: { description: 'A worker is on it; see progress.' },
    SUCCEEDED: { description: 'Done; the knowledge base answers with the result.' },
    FAILED: { description: 'Gave up after its retries; see error. The previous index still answers.' },
  },
});

registerEnumType(IndexJobKind, {
  name: 'IndexJobKind',
  description: 'What an index job does.',
  valuesConfig: {
    DOCUMENT: { description: 'Indexes one added document.' },
    REBUILD: { description: 'Re-indexes every document of a business into a new generation, then switches to it.' },
    CRAWL: { description: 'Crawls a website; each page becomes a document.' },
  },
});

@ObjectType({ description: 'A document of a business\'s knowledge base.' })
export class KnowledgeDocument {
  @Field(() => ID, { description: 'Document id.' })
  id!: string;

  @Field(() => ID, { description: 'The business the document belongs to.' })
  businessId!: string;

  @Field({ description: 'Title, shown as the source of answers that use the document.' })
  title!: string;

  @Field(() => DocumentFormat, { description: 'Format the content was given in.' })
  format!: DocumentFormat;

  @Field(() => String, { nullable: true, description: 'Knowledge category (crawled pages: the first path segment of their URL); see Business.enabledCategories.' })
  category!: string | null;

  @Field(() => String, { nullable: true, description: 'Where the document came from; one document per URL and business.' })
  sourceUrl!: string | null;

  @Field(() => Int, { description: 'Searchable passages of the document in the active index (0 until indexed).' })
  chunkCount!: number;

  @Field(() => Date, { nullable: true, description: 'When the document was last indexed; null while its indexing is pending.' })
  indexedAt!: Date | null;

  @Field(() => ID, { nullable: true, description: 'The job that indexes (or indexed) this document: watch it with indexJobUpdates.' })
  indexJobId!: string | null;

  @Field(() => Date, { description: 'When the document was first added.' })
  createdAt!: Date;
}

@ObjectType({ description: 'A passage the bot would retrieve for a question, with its relevance score.' })
export class KnowledgeHit {
  @Field(() => ID, { description: 'The document of the passage ("faq:<businessId>:<n>" for the business\'s n-th FAQ, "profile:<businessId>:<field>" for a profile field: hours, location, services, contact, description, goal).' })
  documentId!: string;

  @Field({ description: 'Title of the document (or the FAQ question).' })
  title!: string;

  @Field({ description: 'An excerpt of the passage around the question\'s words.' })
  snippet!: string;

  @Field(() => Float, { description: 'Relevance, about 0..1.5; passages under the minimum score are never returned.' })
  score!: number;

  @Field(() => String, { nullable: true, description: 'Category of the document ("faq" for FAQs).' })
  category!: string | null;

  @Field(() => String, { nullable: true, description: 'Source URL of the document, if any.' })
  sourceUrl!: string | null;

  @Field({ description: 'The whole passage, exactly as the bot receives it as context.' })
  text!: string;
}

@ObjectType({ description: 'A background indexing job (document indexing, rebuild or website crawl).' })
export class IndexJob {
  @Field(() => ID, { description: 'Job id.' })
  id!: string;

  @Field(() => ID, { description: 'The business whose knowledge the job indexes.' })
  businessId!: string;

  @Field(() => IndexJobKind, { description: 'What the job does.' })
  kind!: IndexJobKind;

  @Field(() => IndexJobState, { description: 'Current state.' })
  state!: IndexJobState;

  @Field(() => Float, { description: 'Progress from 0 to 1.' })
  progress!: number;

  @Field(() => String, { nullable: true, description: 'Why the last attempt failed, if it did.' })
  error!: string | null;

  @Field(() => Int, { description: 'Attempts started so far (jobs retry with backoff).' })
  attempts!: number;

  @Field(() => Date, { description: 'When the job was queued.' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When the job reached SUCCEEDED or FAILED.' })
  finishedAt!: Date | null;
}

@InputType({ description: 'A document to add to a business\'s knowledge base.' })
export class AddKnowledgeDocumentInput {
  @Field(() => ID, { description: 'The business.' })
  businessId!: string;

  @Field({ description: 'Title (1–300 characters).' })
  title!: string;

  @Field({ description: 'The content, in `format`; at most KNOWLEDGE_MAX_DOCUMENT_BYTES (2 MB) of UTF-8.' })
  content!: string;

  @Field(() => DocumentFormat, { defaultValue: DocumentFormat.TEXT, description: 'Format of the content.' })
  format!: DocumentFormat;

  @Field(() => String, { nullable: true, description: 'Where it came from (http or https). Adding a document with the URL of an existing one replaces it.' })
  sourceUrl?: string | null;

  @Field(() => String, { nullable: true, description: 'Knowledge category, matched against Business.enabledCategories.' })
  category?: string | null;
}
