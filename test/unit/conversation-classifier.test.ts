import { classifyOffline, intentOf, sentimentOf } from '../../src/analytics/conversation.classifier';

/** The offline end-of-conversation labels (no Gemini): AFINN sentiment and the keyword intents, visitor messages only. */
describe('offline conversation classifier', () => {
  it.each([
    ['How much does a cleaning cost?', 'pricing'],
    ['Can I book an appointment for Tuesday?', 'booking'],
    ['My login is not working, can you help?', 'support'],
    ['This is terrible, I want to complain.', 'complaint'],
    ['What are your opening hours?', 'information'],
    ['ok', 'other'],
  ])('%s → %s', (text, intent) => {
    expect(intentOf([text])).toBe(intent);
  });

  it('sentiment from what the visitor wrote', () => {
    expect(sentimentOf(['Thanks, that is great!'])).toBe('POSITIVE');
    expect(sentimentOf(['This is awful and I am angry.'])).toBe('NEGATIVE');
    expect(sentimentOf(['What are your hours?'])).toBe('NEUTRAL');
  });

  it("ignores the concierge's own words", () => {
    expect(classifyOffline([
      { role: 'model', text: 'Wonderful! Great! We love to help, thank you so much!' },
      { role: 'user', text: 'Where are you located?' },
    ])).toEqual({ intent: 'information', sentiment: 'NEUTRAL' });
  });
});
