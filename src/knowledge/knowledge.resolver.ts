import type { FileUpload } from 'graphql-upload-minimal';
import { GraphQLUpload } from 'graphql-upload-minimal';
import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import type { RequestContext } from '../common/request-context';
import { resolverOf } from '../common/resolver-container';
import type { IndexJobEntity } from './knowledge.entity';
import { toIndexJob, toKnowledgeDocument, toKnowledgeHit } from './knowledge.mapper';
import type { KnowledgeService } from './knowledge.service';
import { AddKnowledgeDocumentInput, IndexJob, KnowledgeDocument, KnowledgeHit } from './knowledge.types';

/** Admin operations of the knowledge base; every one needs an API key for the business. */
@Resolver()
export class KnowledgeResolver {
  constructor(private readonly knowledge: KnowledgeService) {}

  @Authorized()
  @Query(() => [KnowledgeDocument], { description: 'The documents of a business\'s knowledge base, oldest first.' })
  async knowledgeDocuments(@Arg('businessId', () => ID, { description: 'The business whose knowledge base this is.' }) businessId: string, @Ctx() ctx: RequestContext): Promise<KnowledgeDocument[]> {
    return (await this.knowledge.documents(ctx.principal, businessId)).map(toKnowledgeDocument);
  }

  @Authorized()
  @Query(() => IndexJob, { nullable: true, description: 'An index job by id; null when there is none.' })
  async indexJob(@Arg('id', () => ID, { description: 'The index job id (from addKnowledgeDocument, rebuildIndex or crawlWebsite).' }) id: string, @Ctx() ctx: RequestContext): Promise<IndexJob | null> {
    const job = await this.knowledge.job(ctx.principal, id);
    return job ? toIndexJob(job) : null;
  }

  @Authorized()
  @Query(() => [KnowledgeHit], { description: 'What the bot would retrieve for this question, best first, with scores.' })
  async searchKnowledge(
    @Arg('businessId', () => ID, { description: 'The business whose knowledge base this is.' }) businessId: string,
    @Arg('query', { description: "A visitor's question, as the chat turn would send it." }) query: string,
    @Arg('limit', () => Int, { defaultValue: 5, description: 'Passages to return, 1–20.' }) limit: number,
    @Ctx() ctx: RequestContext,
  ): Promise<KnowledgeHit[]> {
    return (await this.knowledge.search(ctx.principal, businessId, query, limit)).map(toKnowledgeHit);
  }

  @Authorized()
  @Mutation(() => KnowledgeDocument, { description: 'Adds a document (or replaces the one with the same sourceUrl) and queues its indexing (see indexJobId).' })
  async addKnowledgeDocument(@Arg('input', () => AddKnowledgeDocumentInput, { description: 'The document and where it belongs.' }) input: AddKnowledgeDocumentInput, @Ctx() ctx: RequestContext): Promise<KnowledgeDocument> {
    return toKnowledgeDocument(await this.knowledge.addDocument(ctx.principal, input));
  }

  @Authorized()
  @Mutation(() => KnowledgeDocument, {
    description:
      'Adds a file to the knowledge base (GraphQL multipart request, as sendVoiceMessage; needs an `apollo-require-preflight: true` header): ' +
      'PDF, DOCX, plain text, Markdown or HTML, recognised from the bytes (the name only tells Markdown from text). At most ' +
      'KNOWLEDGE_MAX_FILE_BYTES (PAYLOAD_TOO_LARGE) and KNOWLEDGE_MAX_PDF_PAGES; a scanned PDF with no text is BAD_USER_INPUT (reason no_text). ' +
      'Indexed like addKnowledgeDocument (see indexJobId).',
  })
  async uploadKnowledgeFile(
    @Arg('businessId', () => ID, { description: 'The business whose knowledge base this is.' }) businessId: string,
    @Arg('file', () => GraphQLUpload, { description: 'The file, as the multipart file mapped to variables.file.' }) file: Promise<FileUpload>,
    @Arg('title', () => String, { nullable: true, description: 'Title of the document; defaults to the file name without its extension.' }) title: string | null,
    @Arg('category', () => String, { nullable: true, description: 'Category, as for addKnowledgeDocument.' }) category: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<KnowledgeDocument> {
    let filename = '';
    const doc = await this.knowledge.addFile(ctx.principal, {
      businessId,
      title,
      category,
      get filename() {
        return filename;
      },
      open: async () => {
        const upload = await file;
        filename = upload.filename ?? '';
        return upload.createReadStream();
      },
    });
    return toKnowledgeDocument(doc);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Deletes a document and its passages; answers stop using it at once.' })
  async deleteKnowledgeDocument(@Arg('id', () => ID, { description: 'The document id.' }) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    return this.knowledge.deleteDocument(ctx.principal, id);
  }

  @Authorized()
  @Mutation(() => IndexJob, { description: 'Re-indexes every document of the business into a new index and switches to it when complete; the old index answers until then.' })
  async rebuildIndex(@Arg('businessId', () => ID, { description: 'The business whose knowledge base this is.' }) businessId: string, @Ctx() ctx: RequestContext): Promise<IndexJob> {
    return toIndexJob(await this.knowledge.rebuild(ctx.principal, businessId));
  }

  @Authorized()
  @Mutation(() => IndexJob, { description: 'Crawls a website (sitemap first, else same-site links; robots.txt honoured) into documents. One crawl per business at a time.' })
  async crawlWebsite(
    @Arg('businessId', () => ID, { description: 'The business whose knowledge base this is.' }) businessId: string,
    @Arg('url', () => String, { nullable: true, description: 'Start URL; defaults to the business\'s websiteUrl.' }) url: string | null,
    @Arg('maxPages', () => Int, { defaultValue: 200, description: 'Most pages to fetch, 1–1000.' }) maxPages: number,
    @Ctx() ctx: RequestContext,
  ): Promise<IndexJob> {
    return toIndexJob(await this.knowledge.crawl(ctx.principal, businessId, url, maxPages));
  }

  /** The source of `indexJobUpdates`: the stored state, then every change. */
  jobUpdates(ctx: RequestContext, jobId: string): AsyncIterableIterator<IndexJobEntity> {
    return this.knowledge.watchJob(ctx.principal, jobId);
  }

  @Authorized()
  @Subscription(() => IndexJob, {
    description: 'The job\'s current state, then every change; completes after SUCCEEDED or FAILED.',
    subscribe: (data: SubscribeResolverData<unknown, Record<string, unknown>, RequestContext>) =>
      resolverOf(data, KnowledgeResolver).jobUpdates(data.context, String(data.args.jobId)),
  })
  indexJobUpdates(@Arg('jobId', () => ID, { description: 'The index job to follow.' }) _jobId: string, @Root() job: IndexJobEntity): IndexJob {
    return toIndexJob(job);
  }
}
