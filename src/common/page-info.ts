import { Field, ObjectType } from 'type-graphql';

/**
 * The one `PageInfo` of the API (cursor pagination: leads, conversations). Every connection
 * type uses this class, so the schema has one type of that name.
 */
@ObjectType({ description: 'Where a page of a cursor-paginated list ends.' })
export class PageInfo {
  @Field({ description: 'Whether there are more items after this page.' })
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` to get the next page; null when the page is empty.' })
  endCursor!: string | null;
}
