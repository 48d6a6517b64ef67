import { buildSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType, isScalarType } from 'graphql';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The Playground's docs tab is what frontend teams read: nothing public may be undocumented. */
describe('schema.graphql documentation', () => {
  const schema = buildSchema(readFileSync(path.resolve(__dirname, '../../schema.graphql'), 'utf8'));
  const ROOTS = new Set(['Query', 'Mutation', 'Subscription']);

  it('has a description on every type, field, input field and argument', () => {
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || (isScalarType(type) && ['String', 'Boolean', 'Int', 'Float', 'ID'].includes(type.name))) continue;
      if (!ROOTS.has(type.name) && !type.description) missing.push(type.name);
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
          for (const arg of 'args' in field ? field.args : []) {
            if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
          }
        }
      }
      if (isEnumType(type) && !type.description) missing.push(type.name);
    }
    expect(missing).toEqual([]);
  });

  it('names the admin operations and inputs exactly as API.md does', () => {
    const query = schema.getQueryType()!.getFields();
    const mutation = schema.getMutationType()!.getFields();
    for (const name of ['businesses', 'business', 'apiKeys', 'publicBusiness']) expect(query[name]).toBeDefined();
    for (const name of ['createBusiness', 'updateBusiness', 'deleteBusiness', 'createApiKey', 'revokeApiKey']) expect(mutation[name]).toBeDefined();
    expect(String(mutation.updateBusiness.type)).toBe('Business!');
    expect(String(query.business.type)).toBe('Business');
    expect(String(query.apiKeys.type)).toBe('[ApiKey!]!');
    const create = schema.getType('CreateBusinessInput');
    const update = schema.getType('UpdateBusinessInput');
    expect(isInputObjectType(create) && isInputObjectType(update)).toBe(true);
    if (isInputObjectType(create) && isInputObjectType(update)) {
      const fields = Object.keys(create.getFields()).sort();
      expect(fields).toEqual(
        [
          'name', 'description', 'primaryGoal', 'personality', 'instructions', 'greeting', 'secondaryGreeting', 'privacyStatement',
          'services', 'hours', 'location', 'contactEmail', 'contactPhone', 'websiteUrl', 'faqs', 'suggestedQuestions', 'ctaTree',
          'enabledCategories', 'themeColor', 'widgetPosition', 'buttonText', 'logoUrl', 'voiceEnabled', 'allowedOrigins',
          'requiredContactFields', 'defaultPhoneRegion', 'synonyms', 'recrawlIntervalHours',
        ].sort(),
      );
      expect(Object.keys(update.getFields()).sort()).toEqual(fields);
      expect(Object.values(update.getFields()).every((f) => !String(f.type).endsWith('!'))).toBe(true);
    }
  });
});
