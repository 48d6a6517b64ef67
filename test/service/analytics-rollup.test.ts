import { randomUUID } from 'node:crypto';
import { MARK_DAYS_FROM, rollUpDays } from '../../src/analytics/analytics.rollup';
import { eraseConversations } from '../../src/analytics/conversation.recorder';
import { normalizeQuestion, questionKey } from '../../src/analytics/questions';
import { seedBusiness } from '../support/chat';
import { rows } from '../support/conversations';
import { PLATFORM, startTestCore, type TestCore } from '../support/core';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/**
 * The per-day rollup is a cache: `analytics` answers the same with the closed days rolled up as
 * from the events alone — for whole-day and partial-day ranges, after late events, and after an
 * erasure nulled texts of a rolled day.
 */

let db: TestDatabase;
let core: TestCore;
let businessId: string;
const DAY = 86_400_000;
const midnight = Math.floor(Date.now() / DAY) * DAY;

beforeAll(async () => {
  db = await createTestDatabase();
  core = await startTestCore(db);
  businessId = (await seedBusiness(core)).id;
});

afterAll(async () => {
  await core?.close();
  await db?.drop();
});

let n = 0;
/** One session of `days` ago at `hour` (UTC): started, a click, questions, replies (one unanswered). */
async function session(daysAgo: number, hour: number, questions: string[], ftt = 300): Promise<string> {
  const sid = `s-${++n}-${randomUUID()}`;
  const t = midnight - daysAgo * DAY + hour * 3_600_000;
  const events: Array<Record<string, unknown>> = [
    { kind: 'session_started', at: new Date(t), engaged: true },
    { kind: 'cta_click', at: new Date(t + 1_000), cta_id: 'services', cta_label: 'Our services' },
  ];
  questions.forEach((q, i) => {
    events.push({ kind: 'visitor_message', at: new Date(t + 2_000 + i), text: q, question_norm: normalizeQuestion(q), question_key: questionKey(q), voice: i === 1 });
    events.push({ kind: 'reply_sent', at: new Date(t + 3_000 + i), first_token_ms: ftt + i * 100 });
    if (i === 0) events.push({ kind: 'unanswered', at: new Date(t + 3_000 + i), text: q, question_norm: normalizeQuestion(q), question_key: questionKey(q) });
  });
  const json = events.map((e) => ({ id: randomUUID(), business_id: businessId, session_id: sid, text: null, question_norm: null, question_key: null, voice: false, cta_id: null, cta_label: null, first_token_ms: null, engaged: false, ...e }));
  await rows(
    core,
    `with inserted as (
       insert into analytics_events (id, business_id, session_id, kind, at, text, question_norm, question_key, voice, cta_id, cta_label, first_token_ms, engaged)
       select e.id, e.business_id, e.session_id, e.kind, e.at, e.text, e.question_norm, e.question_key, e.voice, e.cta_id, e.cta_label, e.first_token_ms, e.engaged
         from jsonb_to_recordset(?::jsonb) as e(id uuid, business_id uuid, session_id text, kind text, at timestamptz, text text, question_norm text, question_key text,
                                               voice boolean, cta_id text, cta_label text, first_token_ms int, engaged boolean)
       returning business_id, at)
     ${MARK_DAYS_FROM('inserted')} returning day`,
    [JSON.stringify(json)],
  );
  return sid;
}

const analytics = (from: number, to: number) => core.conversations.analytics.analytics(PLATFORM, businessId, new Date(from), new Date(to));

/** The same query with the rollup ignored (every day read from the events). */
async function fromEventsOnly(from: number, to: number) {
  const saved = await rows<{ business_id: string; day: string; rolled_at: Date | null }>(core, "select business_id, to_char(day, 'YYYY-MM-DD') as day, rolled_at from analytics_rollup_days");
  await rows(core, 'update analytics_rollup_days set rolled_at = null');
  try {
    return await analytics(from, to);
  } finally {
    for (const r of saved) await rows(core, 'update analytics_rollup_days set rolled_at = ? where business_id = ? and day = ?::date', [r.rolled_at, r.business_id, r.day]);
  }
}

const RANGES: Array<[string, number, number]> = [
  ['whole days', midnight - 10 * DAY, midnight + DAY],
  ['partial days at both ends', midnight - 5 * DAY + 13 * 3_600_000, midnight - DAY + 6 * 3_600_000],
  ['a range inside one rolled day', midnight - 3 * DAY + 3_600_000, midnight - 3 * DAY + 20 * 3_600_000],
];

describe('analytics rollup', () => {
  it('answers the same from rolled-up days as from the events', async () => {
    await session(5, 9, ['Do you repair bicycles?', 'What are your prices?'], 250);
    await session(5, 15, ['do you REPAIR bicycles', 'Do you accept new patients?'], 900);
    await session(3, 10, ['What are your prices?', 'prices??'], 400);
    await session(3, 18, ['Opening hours?'], 350);
    await session(1, 8, ['What are your prices?'], 300);
    await session(0, 0, ['Do you repair bicycles?'], 500);
    expect(await rollUpDays(core.orm, new Date())).toBe(3); // today is not closed: not rolled
    expect((await rows<{ n: number }>(core, 'select count(*)::int as n from analytics_rollup_days where rolled_at is not null'))[0].n).toBe(3);
    for (const [, from, to] of RANGES) expect(await analytics(from, to)).toEqual(await fromEventsOnly(from, to));
    const all = await analytics(...RANGES[0].slice(1) as [number, number]);
    expect(all).toMatchObject({ sessions: 6, engagedSessions: 6, visitorMessages: 9, voiceMessages: 3 });
    expect(all.topQuestions[0]).toEqual({ question: 'what are your prices', count: 4 });
    expect(all.ctaClicks).toEqual([{ ctaId: 'services', label: 'Our services', clicks: 6 }]);
  });

  it('a late event un-rolls its day until the worker rolls it again; so does an erasure', async () => {
    await session(3, 11, ['Do you repair bicycles?']);
    const [, from, to] = RANGES[0];
    expect((await analytics(from, to)).sessions).toBe(7);
    expect(await rollUpDays(core.orm, new Date())).toBe(1);
    expect(await analytics(from, to)).toEqual(await fromEventsOnly(from, to));

    const erased = await session(5, 20, ['Do you offer payment plans?']);
    await rollUpDays(core.orm, new Date());
    expect((await analytics(from, to)).topQuestions.map((q) => q.question)).toContain('do you offer payment plans');
    await eraseConversations(core.orm, [erased]);
    // Read from the events at once (the day is no longer rolled), then rolled again: the same.
    const afterErasure = await analytics(from, to);
    expect(afterErasure.topQuestions.map((q) => q.question)).not.toContain('do you offer payment plans');
    expect(afterErasure.sessions).toBe(8);
    expect(await rollUpDays(core.orm, new Date())).toBe(1);
    expect(await analytics(from, to)).toEqual(afterErasure);
  });
});
