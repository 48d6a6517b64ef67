import type { Client } from 'graphql-ws';
import { BusinessEntity } from '../../src/business/business.entity';
import { CtaAction } from '../../src/business/business.profile';
import type { Core } from '../../src/core';
import { ReplyStreamDocument, type ReplyStreamSubscription } from '../generated/graphql';
import { collect } from './client';

/**
 * Seeds a business straight through the ORM (the admin mutations live on another branch).
 */
export async function seedBusiness(app: Pick<Core, 'orm'>, fields: Partial<BusinessEntity> = {}): Promise<BusinessEntity> {
  const em = app.orm.em.fork();
  const business = em.create(BusinessEntity, {
    name: 'Harbor Dental',
    description: 'A family dental practice by the harbour.',
    primaryGoal: 'book a free consultation',
    personality: 'warm and concise',
    instructions: 'Mention the free consultation when it fits.',
    greeting: 'Welcome to Harbor Dental! How can we help?',
    secondaryGreeting: 'Pick an option or ask me anything.',
    services: ['Cleanings', 'Whitening', 'Implants'],
    hours: 'Mon-Fri 8am-6pm, Sat 9am-1pm',
    location: '12 Quay Street, Portsmouth',
    contactEmail: 'hello@harbor.example',
    contactPhone: '+44 20 7946 0000',
    faqs: [
      { question: 'Do you accept new patients?', answer: 'Yes, we welcome new patients of all ages.' },
      { question: 'Do you offer payment plans?', answer: 'Yes, interest-free plans over 12 months.' },
    ],
    ctaTree: [
      { id: 'main_menu', label: 'Menu', action: CtaAction.SHOW_CHILDREN, children: ['services', 'book', 'ask_hours'] },
      { id: 'services', label: 'Our services', action: CtaAction.SHOW_CHILDREN, children: ['whitening', 'implants'] },
      { id: 'whitening', label: 'Whitening', action: CtaAction.SEND, children: [], message: 'Tell me about whitening' },
      { id: 'implants', label: 'Implants', action: CtaAction.SEND, children: [], message: 'Tell me about implants' },
      { id: 'book', label: 'Book online', action: CtaAction.LINK, children: [], url: 'https://harbor.example/book' },
      { id: 'ask_hours', label: 'Opening hours', action: CtaAction.SEND, children: [], message: 'What are your opening hours?' },
    ],
    ...fields,
  } as BusinessEntity);
  await em.persistAndFlush(business);
  return business;
}

export type Chunk = ReplyStreamSubscription['replyStream'];

/** Subscribes to a reply over graphql-ws until it completes; returns the chunks and any error. */
export async function streamReply(client: Client, replyId: string, fromSeq = 0): Promise<{ chunks: Chunk[]; errors: string[] }> {
  const { results, error } = await collect(client, ReplyStreamDocument, { replyId, fromSeq });
  const errors = results.flatMap((r) => (r.errors ?? []).map((e) => String(e.extensions?.code)));
  if (Array.isArray(error)) errors.push(...(error as Array<{ extensions?: { code?: string } }>).map((e) => String(e.extensions?.code)));
  return { chunks: results.flatMap((r) => (r.data ? [r.data.replyStream] : [])), errors };
}
