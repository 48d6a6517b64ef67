import type { IndexJobEntity, KnowledgeDocumentEntity } from './knowledge.entity';
import type { RetrievedPassage } from './retrieval';
import { IndexJob, KnowledgeDocument, KnowledgeHit } from './knowledge.types';

/** The one mapping of each knowledge concept from its stored shape to its GraphQL type. */

export function toKnowledgeDocument(d: KnowledgeDocumentEntity): KnowledgeDocument {
  return Object.assign(new KnowledgeDocument(), {
    id: d.id,
    businessId: d.businessId,
    title: d.title,
    format: d.format,
    category: d.category ?? null,
    sourceUrl: d.sourceUrl ?? null,
    chunkCount: d.chunkCount,
    indexedAt: d.indexedAt ?? null,
    indexJobId: d.indexJobId ?? null,
    createdAt: d.createdAt,
  });
}

export function toIndexJob(j: IndexJobEntity): IndexJob {
  return Object.assign(new IndexJob(), {
    id: j.id,
    businessId: j.businessId,
    kind: j.kind,
    state: j.state,
    progress: j.progress,
    error: j.error ?? null,
    attempts: j.attempts,
    createdAt: j.createdAt,
    finishedAt: j.finishedAt ?? null,
  });
}

export function toKnowledgeHit(p: RetrievedPassage): KnowledgeHit {
  return Object.assign(new KnowledgeHit(), {
    documentId: p.documentId,
    title: p.title,
    snippet: p.snippet,
    score: p.score,
    category: p.category ?? null,
    sourceUrl: p.sourceUrl ?? null,
    text: p.text,
  });
}
