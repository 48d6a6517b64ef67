import type { LeadData } from './lead.data';
import { toLeadData } from './lead.data';
import type { LeadEntity } from './lead.entity';
import type { ContactDetails, Lead } from './lead.types';

/** The GraphQL Lead, from the row or from the broadcast's JSON (one shape, lead.data.ts). */
export function toLead(lead: LeadEntity | LeadData): Lead {
  const d: LeadData = 'version' in lead && typeof lead.createdAt === 'string' ? (lead as LeadData) : toLeadData(lead as LeadEntity);
  return {
    id: d.id,
    businessId: d.businessId,
    sessionId: d.sessionId,
    name: d.name,
    email: d.email,
    phone: d.phone,
    status: d.status,
    source: d.source,
    notes: d.notes,
    summary: d.summary,
    consentAt: d.consentAt ? new Date(d.consentAt) : null,
    history: d.history.map((h) => ({ field: h.field, from: h.from, to: h.to, by: h.by, at: new Date(h.at) })),
    createdAt: new Date(d.createdAt),
    updatedAt: new Date(d.updatedAt),
  };
}

export function toContactDetails(lead: LeadEntity): ContactDetails {
  return { name: lead.name ?? null, email: lead.email ?? null, phone: lead.phone ?? null };
}
