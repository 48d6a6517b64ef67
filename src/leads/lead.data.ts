import type { LeadChangeRecord, LeadEntity, LeadSource, LeadStatus } from './lead.entity';

/**
 * A lead as plain JSON: every `Lead` field of the API, dates as ISO 8601. It is what webhook
 * bodies carry (`data.lead`) and what the update broadcast publishes; the GraphQL type is
 * mapped from it (lead.mapper.ts), so the three cannot drift apart.
 */
export interface LeadData {
  id: string;
  businessId: string;
  sessionId: string | null;
  name: string | null;
  email: string | null;
  phone: string | null;
  status: LeadStatus;
  source: LeadSource;
  notes: string | null;
  summary: string | null;
  consentAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** Grows with every write; orders updates (not in the GraphQL type). */
  version: number;
  /** Every change of a contact field (GraphQL `history`; not in webhook bodies). */
  history: LeadChangeRecord[];
}

export function toLeadData(lead: LeadEntity): LeadData {
  return {
    id: lead.id,
    businessId: lead.businessId,
    sessionId: lead.sessionId ?? null,
    name: lead.name ?? null,
    email: lead.email ?? null,
    phone: lead.phone ?? null,
    status: lead.status,
    source: lead.source,
    notes: lead.notes ?? null,
    summary: lead.summary ?? null,
    consentAt: lead.consentAt ? lead.consentAt.toISOString() : null,
    createdAt: lead.createdAt.toISOString(),
    updatedAt: lead.updatedAt.toISOString(),
    version: lead.version,
    history: lead.history.map((h) => ({ ...h })),
  };
}

/** The webhook body's `data.lead`: the API's Lead fields only. */
export function webhookLead(lead: LeadEntity): Omit<LeadData, 'version' | 'history'> {
  const { version: _version, history: _history, ...data } = toLeadData(lead);
  return data;
}
