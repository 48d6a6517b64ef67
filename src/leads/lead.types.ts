import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { ContactField } from '../business/business.profile';
import { PageInfo } from '../common/page-info';
import { LeadSource, LeadStatus } from './lead.entity';

registerEnumType(LeadStatus, {
  name: 'LeadStatus',
  description: "Where a lead stands in the business's follow-up.",
  valuesConfig: {
    NEW: { description: 'Captured, nobody has followed up yet (every lead starts here).' },
    CONTACTED: { description: 'The business has reached out.' },
    QUALIFIED: { description: 'A real prospect.' },
    WON: { description: 'Became a customer.' },
    LOST: { description: 'Not going ahead.' },
  },
});

registerEnumType(LeadSource, {
  name: 'LeadSource',
  description: 'Where the lead was first captured.',
  valuesConfig: {
    CHAT: { description: 'Typed in the chat.' },
    VOICE: { description: 'Said in a voice message (transcribed).' },
    FORM: { description: "The widget's contact form (submitContactDetails)." },
  },
});

@ObjectType({ description: "One change of a lead's contact field: its first capture (from null), a visitor's correction, a form submission, an admin's edit." })
export class LeadChange {
  @Field(() => ContactField, { description: 'The field that changed.' })
  field!: ContactField;

  @Field(() => String, { nullable: true, description: 'The value before; null for the first capture.' })
  from!: string | null;

  @Field(() => String, { nullable: true, description: 'The value after; null when an admin cleared it.' })
  to!: string | null;

  @Field({ description: 'Who changed it: VISITOR (chat or voice), FORM or ADMIN.' })
  by!: string;

  @Field({ description: 'When.' })
  at!: Date;
}

@ObjectType({ description: 'A warm prospect: what a visitor gave about themselves, one per chat session. Admin only.' })
export class Lead {
  @Field(() => ID, { description: 'Lead id.' })
  id!: string;

  @Field(() => ID, { description: 'The business the visitor talked to.' })
  businessId!: string;

  @Field(() => ID, { nullable: true, description: 'The chat session it was captured in; null once that session is gone from the lead.' })
  sessionId!: string | null;

  @Field(() => String, { nullable: true, description: "The visitor's name." })
  name!: string | null;

  @Field(() => String, { nullable: true, description: 'E-mail address, lower-case.' })
  email!: string | null;

  @Field(() => String, { nullable: true, description: 'Phone number in E.164 (+447700900123).' })
  phone!: string | null;

  @Field(() => LeadStatus, { description: 'Follow-up status; NEW until an admin changes it.' })
  status!: LeadStatus;

  @Field(() => LeadSource, { description: 'Where it was first captured.' })
  source!: LeadSource;

  @Field(() => String, { nullable: true, description: "The business's own notes (updateLead)." })
  notes!: string | null;

  @Field(() => String, { nullable: true, description: 'What the visitor wants, in a sentence.' })
  summary!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the visitor agreed to be contacted: the form\'s consent, or giving details in the chat after the privacy statement.' })
  consentAt!: Date | null;

  @Field(() => [LeadChange], { description: 'Every change of a contact field, oldest first.' })
  history!: LeadChange[];

  @Field({ description: 'When the lead was captured.' })
  createdAt!: Date;

  @Field({ description: 'When it last changed.' })
  updatedAt!: Date;
}

@ObjectType({ description: 'A page of leads, newest first.' })
export class LeadConnection {
  @Field(() => [Lead], { description: 'The leads of this page.' })
  nodes!: Lead[];

  @Field(() => PageInfo, { description: 'Where the page ends.' })
  pageInfo!: PageInfo;
}

@ObjectType({ description: 'The contact details this visitor has given in this session (their own data only).' })
export class ContactDetails {
  @Field(() => String, { nullable: true, description: 'Name.' })
  name!: string | null;

  @Field(() => String, { nullable: true, description: 'E-mail address.' })
  email!: string | null;

  @Field(() => String, { nullable: true, description: 'Phone number, E.164.' })
  phone!: string | null;
}

/** The three contact fields both inputs below take, each checked like the visitor's. */
@InputType()
abstract class ContactFieldsInput {
  @Field(() => String, { nullable: true, description: 'Name.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'E-mail address.' })
  email?: string | null;

  @Field(() => String, { nullable: true, description: "Phone number; national numbers are read in the business's defaultPhoneRegion." })
  phone?: string | null;
}

@InputType({ description: 'An admin\'s edit of a lead. Absent fields are left alone; contact fields are checked like the visitor\'s (null clears one) and kept in the history.' })
export class UpdateLeadInput extends ContactFieldsInput {
  @Field(() => LeadStatus, { nullable: true, description: 'New follow-up status.' })
  status?: LeadStatus | null;

  @Field(() => String, { nullable: true, description: 'Notes (≤ 4000 characters); null clears them.' })
  notes?: string | null;
}

@InputType({ description: "The widget's contact form. Explicit by nature: given fields replace what the chat captured. One invalid field refuses the whole submission." })
export class ContactDetailsInput extends ContactFieldsInput {
  @Field({ description: 'The visitor agrees to be contacted; false is refused (BAD_USER_INPUT) and nothing is stored.' })
  consent!: boolean;
}
