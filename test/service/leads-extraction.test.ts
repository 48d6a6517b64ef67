import { ContactField } from '../../src/business/business.profile';
import { checkEmail, checkName, checkPhone } from '../../src/leads/contact.validation';
import { extractContact, showsIntent } from '../../src/llm/contact-extractor';

/**
 * The offline extractor (candidates from free text) and the one validation every capture path
 * goes through (model function calls, the extractor, the widget's form, admins).
 */

describe('offline contact extractor', () => {
  it('finds a name and an email in "I\'m Ana, ana@example.com"', () => {
    expect(extractContact("I'm Ana, ana@example.com")).toEqual({ fields: { name: 'Ana', email: 'ana@example.com' }, correction: false });
  });

  it('reads "my name is …" in any case, "this is …" and up to three name words', () => {
    expect(extractContact('hello, my name is ana silva').fields).toEqual({ name: 'Ana Silva' });
    expect(extractContact('Hi, this is Ana Maria Costa from Lisbon').fields).toEqual({ name: 'Ana Maria Costa' });
    expect(extractContact('I’m Jo and I would like a quote').fields).toEqual({ name: 'Jo' });
  });

  it('is conservative: no name from "I\'m interested", "I am Looking for…", "this is great" or "I\'m in London"', () => {
    for (const text of ["I'm interested", "I'm Interested in whitening", 'I am Looking For a dentist', 'this is great', "I'm in London", "I'm not sure", 'Im here to ask']) {
      expect({ text, fields: extractContact(text).fields }).toEqual({ text, fields: {} });
    }
  });

  it('takes a bare name only as the answer to a question for the name', () => {
    expect(extractContact('Ana Silva').fields).toEqual({});
    expect(extractContact('Ana Silva', ContactField.NAME).fields).toEqual({ name: 'Ana Silva' });
    expect(extractContact('Ana, ana@example.com', ContactField.NAME).fields).toEqual({ name: 'Ana', email: 'ana@example.com' });
    expect(extractContact('what are your hours?', ContactField.NAME).fields).toEqual({});
  });

  it('finds phone numbers said as phone numbers, international ones, or answering the question; not other digit runs', () => {
    expect(extractContact('my number is 020 7946 0958').fields).toEqual({ phone: '020 7946 0958' });
    expect(extractContact('reach me at +1 (415) 555-2671 please').fields).toEqual({ phone: '+1 (415) 555-2671' });
    expect(extractContact('020 7946 0958', ContactField.PHONE).fields).toEqual({ phone: '020 7946 0958' });
    expect(extractContact('my order 12345678 has not arrived').fields).toEqual({});
    expect(extractContact('ana.1990@example.com').fields).toEqual({ email: 'ana.1990@example.com' });
  });

  it('keeps an e-mail-shaped candidate even when it is wrong, so validation can say what is wrong', () => {
    expect(extractContact('my email is ana@example').fields).toEqual({ email: 'ana@example' });
  });

  it('marks explicit corrections', () => {
    expect(extractContact('Actually my email is ana@work.example').correction).toBe(true);
    expect(extractContact('sorry, my new number is +44 20 7946 0000').correction).toBe(true);
    expect(extractContact('by the way my email is ana@example.com').correction).toBe(false);
  });

  it('sees intent in booking, price, quote and call requests, not in plain questions', () => {
    for (const text of ["I'd like to book", 'How much is whitening?', 'Can I get a quote?', 'please call me back', 'I want to make an appointment']) {
      expect({ text, intent: showsIntent(text) }).toEqual({ text, intent: true });
    }
    for (const text of ['What are your opening hours?', 'Where are you?', 'hello']) {
      expect({ text, intent: showsIntent(text) }).toEqual({ text, intent: false });
    }
  });
});

describe('contact validation', () => {
  it('normalises e-mails to lower case and names what is wrong with a bad one', () => {
    expect(checkEmail(' Ana@Example.COM ')).toEqual({ ok: true, value: 'ana@example.com' });
    expect(checkEmail('ana@example')).toMatchObject({ ok: false, problem: expect.stringContaining('end of its domain') });
    expect(checkEmail('ana.example.com')).toMatchObject({ ok: false, problem: expect.stringContaining('no @') });
  });

  it('stores phones in E.164, reading national numbers in the default region, with the full validity check', () => {
    expect(checkPhone('020 7946 0958', 'GB')).toEqual({ ok: true, value: '+442079460958' });
    expect(checkPhone('(415) 555-2671', 'US')).toEqual({ ok: true, value: '+14155552671' });
    expect(checkPhone('0044 20 7946 0958', null)).toEqual({ ok: true, value: '+442079460958' });
    // Right length, but no such number in the UK plan (07700 900xxx is reserved for drama).
    expect(checkPhone('07700 900123', 'GB')).toMatchObject({ ok: false, problem: expect.stringContaining('not a valid phone number in GB') });
    expect(checkPhone('020 7946 0958', null)).toMatchObject({ ok: false, problem: expect.stringContaining('country code') });
  });

  it('accepts names of letters, spaces, apostrophes and hyphens only', () => {
    expect(checkName("  Siobhán  O'Neill-Ávila ")).toEqual({ ok: true, value: "Siobhán O'Neill-Ávila" });
    expect(checkName('R2D2')).toMatchObject({ ok: false });
    expect(checkName('')).toMatchObject({ ok: false });
  });
});
