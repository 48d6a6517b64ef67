import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../common/request-context';
import { principalOf } from './access';
import type { ApiKeyService } from './api-key.service';
import { ApiKey, CreateApiKeyInput, CreatedApiKey, toApiKey } from './api-key.types';

/** Admin operations on API keys; scope rules live in ApiKeyService. */
@Resolver()
export class ApiKeyResolver {
  constructor(private readonly keys: ApiKeyService) {}

  @Authorized()
  @Query(() => [ApiKey], { description: 'Keys visible to the caller: all for a platform key, its own business\'s for a business key.' })
  async apiKeys(@Ctx() ctx: RequestContext): Promise<ApiKey[]> {
    return (await this.keys.list(principalOf(ctx))).map(toApiKey);
  }

  @Authorized()
  @Mutation(() => CreatedApiKey, { description: 'Creates a key and returns its secret once. Business keys may only create keys for their own business.' })
  async createApiKey(@Arg('input', () => CreateApiKeyInput, { description: 'Name and optional business scope of the key.' }) input: CreateApiKeyInput, @Ctx() ctx: RequestContext): Promise<CreatedApiKey> {
    const { key, secret } = await this.keys.create(principalOf(ctx), input);
    return { apiKey: toApiKey(key), secret };
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Revokes a key at once (idempotent). Returns true.' })
  async revokeApiKey(@Arg('id', () => ID, { description: 'Id of the key to revoke.' }) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    return this.keys.revoke(principalOf(ctx), id);
  }
}
