import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { principalOf } from '../auth/access';
import { PLATFORM } from '../auth/auth-checker';
import type { RequestContext } from '../common/request-context';
import { embedSnippet } from './business.embed';
import { toBusiness, toPublicBusiness } from './business.mapper';
import type { BusinessService } from './business.service';
import { Business, CreateBusinessInput, PublicBusiness, UpdateBusinessInput } from './business.types';

/** Business admin operations and the public widget lookup; the work is in BusinessService. */
@Resolver(() => Business)
export class BusinessResolver {
  constructor(private readonly service: BusinessService) {}

  @Query(() => PublicBusiness, { nullable: true, description: 'What a chat widget needs to render a business. Public: no key needed. Null for an unknown id.' })
  async publicBusiness(@Arg('id', () => ID, { description: 'Business id.' }) id: string, @Ctx() ctx: RequestContext): Promise<PublicBusiness | null> {
    const business = await this.service.getPublic(id, ctx);
    return business ? toPublicBusiness(business) : null;
  }

  @Authorized()
  @Query(() => [Business], { description: 'Businesses visible to the caller: all for a platform key, only its own for a business key.' })
  async businesses(@Ctx() ctx: RequestContext): Promise<Business[]> {
    return (await this.service.list(principalOf(ctx))).map(toBusiness);
  }

  @Authorized()
  @Query(() => Business, { nullable: true, description: 'One business with its full configuration; null when it does not exist.' })
  async business(@Arg('id', () => ID, { description: 'Business id.' }) id: string, @Ctx() ctx: RequestContext): Promise<Business | null> {
    const business = await this.service.get(principalOf(ctx), id);
    return business ? toBusiness(business) : null;
  }

  @Authorized(PLATFORM)
  @Mutation(() => Business, { description: 'Creates a business (platform keys only).' })
  async createBusiness(@Arg('input', () => CreateBusinessInput, { description: 'The new business.' }) input: CreateBusinessInput, @Ctx() ctx: RequestContext): Promise<Business> {
    return toBusiness(await this.service.create(principalOf(ctx), input));
  }

  @Authorized()
  @Mutation(() => Business, { description: 'Changes the fields given; a field given as null is cleared. Every server drops its cached copy.' })
  async updateBusiness(
    @Arg('id', () => ID, { description: 'Business id.' }) id: string,
    @Arg('input', () => UpdateBusinessInput, { description: 'The fields to change.' }) input: UpdateBusinessInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Business> {
    return toBusiness(await this.service.update(principalOf(ctx), id, input));
  }

  @FieldResolver(() => String, {
    description:
      'The tag to paste into the business\'s website: `<script src="https://SERVER/widget.js" data-business-id="ID" async></script>` (SERVER: PUBLIC_URL, else this server as the caller reached it). The site\'s origin must be in allowedOrigins.',
  })
  embedSnippet(@Root() business: Business, @Ctx() ctx: RequestContext): string {
    return embedSnippet(ctx.publicBaseUrl ?? '', business.id);
  }

  @Authorized(PLATFORM)
  @Mutation(() => Boolean, { description: 'Deletes a business and everything that belongs to it (its API keys, knowledge, sessions). Platform keys only.' })
  async deleteBusiness(@Arg('id', () => ID, { description: 'Business id.' }) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    return this.service.delete(principalOf(ctx), id);
  }
}
