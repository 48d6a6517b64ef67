import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import type { BusinessProfile } from '../business/business.profile';
import type { TurnTarget } from '../chat/chat.service';
import { ChatSession } from '../chat/chat.types';
import { RateLimited } from '../common/rate-limit';
import type { RequestContext } from '../common/request-context';
import { resolverOf } from '../common/resolver-container';
import type { LeadData } from './lead.data';
import { LeadStatus } from './lead.entity';
import { toContactDetails, toLead } from './lead.mapper';
import type { LeadService } from './lead.service';
import { ContactDetails, ContactDetailsInput, Lead, LeadConnection, UpdateLeadInput } from './lead.types';

/** What the resolver needs of chat and businesses: the visitor's session (origin-checked) and a business by id. */
export interface LeadResolverDeps {
  leads: LeadService;
  openSession(sessionId: string, caller: RequestContext): Promise<TurnTarget>;
  business(id: string): Promise<BusinessProfile | null>;
}

/** Admin operations on leads, leadUpdates, and the widget's form (public). */
@Resolver()
export class LeadResolver {
  constructor(private readonly deps: LeadResolverDeps) {}

  @Authorized()
  @Query(() => LeadConnection, { description: "A business's leads, newest first, optionally by status (cursor pagination)." })
  async leads(
    @Arg('businessId', () => ID, { description: 'The business whose leads these are.' }) businessId: string,
    @Arg('status', () => LeadStatus, { nullable: true, description: 'Only leads with this status.' }) status: LeadStatus | null,
    @Arg('first', () => Int, { defaultValue: 50, description: 'Page size, 1–100.' }) first: number,
    @Arg('after', () => String, { nullable: true, description: "The previous page's pageInfo.endCursor." }) after: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<LeadConnection> {
    const page = await this.deps.leads.list(ctx.principal, businessId, status, first, after);
    return { nodes: page.nodes.map(toLead), pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor } };
  }

  @Authorized()
  @Query(() => Lead, { nullable: true, description: 'A lead by id; null when there is none.' })
  async lead(@Arg('id', () => ID, { description: 'The lead id.' }) id: string, @Ctx() ctx: RequestContext): Promise<Lead | null> {
    const lead = await this.deps.leads.get(ctx.principal, id);
    return lead ? toLead(lead) : null;
  }

  @Authorized()
  @Mutation(() => Lead, { description: "Changes a lead's status, notes or contact fields (checked like the visitor's; kept in the history). Sends lead.updated." })
  async updateLead(
    @Arg('id', () => ID, { description: 'The lead id.' }) id: string,
    @Arg('input', () => UpdateLeadInput, { description: 'What to change.' }) input: UpdateLeadInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Lead> {
    return toLead(await this.deps.leads.update(ctx.principal, id, input, (bid) => this.deps.business(bid)));
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Erases the lead and the payloads of its webhook deliveries.' })
  async deleteLead(@Arg('id', () => ID, { description: 'The lead id.' }) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    return this.deps.leads.delete(ctx.principal, id);
  }

  @RateLimited('chat')
  @Mutation(() => Lead, { description: "Public: the widget's contact form for this session's lead. Same checks as the chat; consent is required; one invalid field stores nothing." })
  async submitContactDetails(
    @Arg('sessionId', () => ID, { description: 'The visitor\'s session id.' }) sessionId: string,
    @Arg('input', () => ContactDetailsInput, { description: 'The details and the consent.' }) input: ContactDetailsInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Lead> {
    const { business } = await this.deps.openSession(sessionId, ctx);
    return toLead(await this.deps.leads.submitForm(business, sessionId, input));
  }

  /** The source of `leadUpdates`. */
  updates(ctx: RequestContext, businessId: string): AsyncIterableIterator<LeadData> {
    return this.deps.leads.watch(ctx.principal, businessId);
  }

  @Authorized()
  @Subscription(() => Lead, {
    description: "Every create or update of the business's leads from the moment of subscribing (no replay).",
    subscribe: (data: SubscribeResolverData<unknown, Record<string, unknown>, RequestContext>) =>
      resolverOf(data, LeadResolver).updates(data.context, String(data.args.businessId)),
  })
  leadUpdates(@Arg('businessId', () => ID, { description: 'The business to follow.' }) _businessId: string, @Root() lead: LeadData): Lead {
    return toLead(lead);
  }
}

/** `ChatSession.contactDetails`: the visitor's own data, through their session (a bearer token). */
@Resolver(() => ChatSession)
export class SessionContactResolver {
  constructor(private readonly leads: LeadService) {}

  @FieldResolver(() => ContactDetails, { nullable: true, description: 'What this visitor has given in this session (their own data only); null before any.' })
  async contactDetails(@Root() session: ChatSession): Promise<ContactDetails | null> {
    const lead = await this.leads.forSession(session.id);
    return lead ? toContactDetails(lead) : null;
  }
}
