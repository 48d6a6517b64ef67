import type * as GenAI from '@google/genai' with { 'resolution-mode': 'import' };
import type { CapturedContact, ContactCaptureResult, ContactCaptureTurn } from './contact-capture';

/**
 * Gemini function calling for contact capture: the declaration the model may call with what the
 * visitor said about themselves, the check of its arguments (input from a model, not truth: only
 * short strings and a true boolean pass; values are then validated and locked by the leads
 * feature), and the function response the model gets back to word its reply.
 */

export const RECORD_CONTACT_FUNCTION = 'record_contact_details';

const MAX_ARG_LENGTH = 200;
const MAX_SUMMARY_LENGTH = 300;

export const RECORD_CONTACT_DECLARATION: GenAI.FunctionDeclaration = {
  name: RECORD_CONTACT_FUNCTION,
  description:
    'Records contact details the visitor has given about themselves in this conversation, so the business can follow up. ' +
    'Call it only with values the visitor actually said, exactly as they said them; never guess, complete or invent a value. ' +
    'The result says what was stored, what was invalid and why, what was ignored because it is already recorded, and what is still needed.',
  parameters: {
    type: 'OBJECT' as GenAI.Type,
    properties: {
      name: { type: 'STRING' as GenAI.Type, description: "The visitor's own name, as they said it." },
      email: { type: 'STRING' as GenAI.Type, description: "The visitor's email address, as they wrote it." },
      phone: { type: 'STRING' as GenAI.Type, description: "The visitor's phone number, as they said it (with or without country code)." },
      correction: {
        type: 'BOOLEAN' as GenAI.Type,
        description: 'True only when the visitor explicitly corrects a detail they gave earlier ("actually my email is ..."). A passing mention of another value is not a correction.',
      },
      summary: { type: 'STRING' as GenAI.Type, description: 'What the visitor wants, in one short sentence (for the business).' },
    },
  },
};

export interface ContactCall {
  fields: CapturedContact;
  correction: boolean;
  summary: string | null;
}

function shortString(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim();
  return v && v.length <= max ? v : undefined;
}

/** The model's arguments as a capture request; anything of the wrong type or too long is dropped. */
export function parseContactArgs(args: unknown): ContactCall {
  const a = args && typeof args === 'object' && !Array.isArray(args) ? (args as Record<string, unknown>) : {};
  const fields: CapturedContact = {};
  for (const key of ['name', 'email', 'phone'] as const) {
    const v = shortString(a[key], MAX_ARG_LENGTH);
    if (v !== undefined) fields[key] = v;
  }
  return { fields, correction: a.correction === true, summary: shortString(a.summary, MAX_SUMMARY_LENGTH) ?? null };
}

/** The function response the model sees: what happened, in plain data. */
export function contactResponse(result: ContactCaptureResult): Record<string, unknown> {
  if (result.unavailable) return { error: 'The details could not be saved right now. Ask the visitor to send them again in a moment.' };
  return {
    stored: result.stored,
    corrected: result.corrected,
    rejected: result.rejected.map((r) => ({ field: r.field, problem: r.problem })),
    ignoredBecauseAlreadyRecorded: result.ignored,
    recorded: result.contact,
    stillNeeded: result.missing,
  };
}

/** The function-call parts of a streamed chunk. */
export function functionCallParts(chunk: GenAI.GenerateContentResponse): GenAI.Part[] {
  return (chunk.candidates?.[0]?.content?.parts ?? []).filter((p) => p.functionCall);
}

/**
 * Runs the model's calls and returns the function responses (one per call, in order). An unknown
 * function gets an error response; the same arguments twice in one reply (a retried attempt)
 * are recorded once, through `memo`.
 */
export async function answerContactCalls(calls: GenAI.Part[], turn: ContactCaptureTurn, memo: Map<string, Promise<ContactCaptureResult>>): Promise<GenAI.Part[]> {
  const out: GenAI.Part[] = [];
  for (const part of calls) {
    const call = part.functionCall!;
    if (call.name !== RECORD_CONTACT_FUNCTION) {
      out.push({ functionResponse: { id: call.id, name: call.name, response: { error: `unknown function ${String(call.name)}` } } });
      continue;
    }
    const parsed = parseContactArgs(call.args);
    const key = JSON.stringify(parsed);
    let result = memo.get(key);
    if (!result) {
      result = turn.record(parsed.fields, { correction: parsed.correction, summary: parsed.summary });
      memo.set(key, result);
    }
    out.push({ functionResponse: { id: call.id, name: call.name, response: contactResponse(await result) } });
  }
  return out;
}
