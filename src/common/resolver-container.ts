import type { GraphQLSchema } from 'graphql';
import type { ContainerType, SubscribeResolverData } from 'type-graphql';

type Class<T> = abstract new (...args: never[]) => T;

/**
 * The resolver (and class middleware) instances the composition root built with their
 * collaborators, handed to type-graphql, which asks it for the instance of each class.
 */
export class ResolverContainer implements ContainerType {
  private readonly instances = new Map<unknown, unknown>();

  constructor(instances: readonly object[]) {
    for (const instance of instances) this.instances.set(instance.constructor, instance);
  }

  get<T>(someClass: Class<T> | { name: string }): T {
    const instance = this.instances.get(someClass);
    if (!instance) throw new Error(`No instance registered for ${someClass.name}`);
    return instance as T;
  }
}

const containers = new WeakMap<GraphQLSchema, ResolverContainer>();

/** Ties a built schema to its container, so subscriptions find their resolver instance. */
export function bindContainer(schema: GraphQLSchema, container: ResolverContainer): void {
  containers.set(schema, container);
}

/**
 * The resolver instance a subscription's `subscribe` function runs on. type-graphql calls
 * `subscribe` without the instance; the schema being executed (`info.schema`) names the app, so
 * several apps in one process (tests) never cross and no service travels in the context.
 */
export function resolverOf<T>(data: SubscribeResolverData, resolverClass: Class<T>): T {
  const container = containers.get(data.info.schema);
  if (!container) throw new Error('This schema has no resolver container bound (bindContainer)');
  return container.get(resolverClass);
}
