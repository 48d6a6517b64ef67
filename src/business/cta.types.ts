import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { CtaAction, WidgetPosition } from './business.profile';

registerEnumType(CtaAction, {
  name: 'CtaAction',
  description: 'What a quick-reply button does when clicked.',
  valuesConfig: {
    SHOW_CHILDREN: { description: "Answers with the node's children as new buttons; no model call." },
    SEND: { description: "Sends the node's message as the visitor's text." },
    LINK: { description: "Opens the node's url." },
  },
});

registerEnumType(WidgetPosition, {
  name: 'WidgetPosition',
  description: 'Where the chat widget sits on the page.',
});

/** A quick-reply button as a widget renders it (entry CTAs, CTAs on a message). */
@ObjectType({ description: 'A quick-reply button the widget renders.' })
export class Cta {
  @Field(() => ID, { description: 'Node id in the business CTA tree; send it back as `ctaId` when clicked.' })
  id!: string;

  @Field({ description: 'Button text.' })
  label!: string;

  @Field(() => CtaAction, { description: 'What the click does.' })
  action!: CtaAction;

  @Field(() => String, { nullable: true, description: 'Target of a LINK button.' })
  url?: string | null;

  @Field(() => String, { nullable: true, description: 'Text a SEND button sends as the visitor.' })
  message?: string | null;
}

