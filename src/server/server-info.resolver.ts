import { Field, ObjectType, Query, Resolver } from 'type-graphql';

@ObjectType({ description: 'What this server is; useful to check that a client reaches the API.' })
export class ServerInfo {
  @Field({ description: 'Product name.' })
  name!: string;

  @Field({ description: 'Server version (semver).' })
  version!: string;
}

/** Root query that needs no store: answers as long as the process runs. */
@Resolver()
export class ServerInfoResolver {
  constructor(private readonly version: string) {}

  @Query(() => ServerInfo, { description: 'Name and version of the server.' })
  serverInfo(): ServerInfo {
    return { name: 'WarmProspect Concierge', version: this.version };
  }
}
