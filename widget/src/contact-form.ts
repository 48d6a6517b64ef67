import { el } from './text';

/**
 * The contact form (submitContactDetails): name, email, phone and the visitor's consent. It
 * opens when the server flags a reply as asking for a contact detail (`asksForContact` on the
 * message: the server's capture state, not the wording) or from the "Leave your details" button. The server validates (and says what is wrong, shown as text); with an
 * invalid field nothing of the submission is stored, so the visitor just corrects and resends.
 */

export type ContactFieldName = 'NAME' | 'EMAIL' | 'PHONE';

export interface ContactDetailsValue {
  name: string | null;
  email: string | null;
  phone: string | null;
  consent: boolean;
}

export class ContactForm {
  readonly element = el('form', { part: 'contact-form', class: 'contact', 'aria-label': 'Your contact details', novalidate: '' });
  private readonly name = el('input', { type: 'text', name: 'name', autocomplete: 'name', maxlength: '200' });
  private readonly email = el('input', { type: 'email', name: 'email', autocomplete: 'email', maxlength: '254' });
  private readonly phone = el('input', { type: 'tel', name: 'phone', autocomplete: 'tel', maxlength: '40' });
  private readonly consent = el('input', { type: 'checkbox', name: 'consent' });
  private readonly consentText = el('span');
  private readonly error = el('p', { class: 'form-error', role: 'alert' });
  private readonly submit = el('button', { part: 'send contact-send', class: 'send', type: 'submit' }, 'Send my details');

  constructor(handlers: { submit(value: ContactDetailsValue): Promise<void>; dismiss(): void }) {
    const field = (label: string, input: HTMLInputElement) => {
      const wrap = el('label', { class: 'field' });
      wrap.append(el('span', {}, label), input);
      return wrap;
    };
    const consent = el('label', { class: 'consent' });
    consent.append(this.consent, this.consentText);
    const dismiss = el('button', { class: 'link-button', type: 'button' }, 'Not now');
    const actions = el('div', { class: 'actions' });
    actions.append(this.submit, dismiss);
    this.error.hidden = true;
    this.element.append(el('p', { class: 'form-title' }, 'Leave your details and we will get back to you.'), field('Name', this.name), field('Email', this.email), field('Phone', this.phone), consent, this.error, actions);
    this.element.hidden = true;
    dismiss.addEventListener('click', () => handlers.dismiss());
    this.element.addEventListener('submit', (e) => {
      e.preventDefault();
      const value = this.value();
      if (!value.consent) return this.showError('Please tick the box to agree to be contacted.');
      if (!value.name && !value.email && !value.phone) return this.showError('Please give at least one way to reach you.');
      this.submit.disabled = true;
      this.showError(null);
      void handlers.submit(value).finally(() => (this.submit.disabled = false));
    });
  }

  /** The consent wording names the business. */
  setBusinessName(name: string): void {
    this.consentText.textContent = ` I agree that ${name} may contact me about my enquiry.`;
  }

  prefill(details: { name?: string | null; email?: string | null; phone?: string | null } | null | undefined): void {
    if (details?.name && !this.name.value) this.name.value = details.name;
    if (details?.email && !this.email.value) this.email.value = details.email;
    if (details?.phone && !this.phone.value) this.phone.value = details.phone;
  }

  /** Shows the form with the focus on `field` (the one the bot asked for), else on the name. */
  open(field: ContactFieldName | null = null): void {
    this.element.hidden = false;
    const input = field === 'EMAIL' ? this.email : field === 'PHONE' ? this.phone : this.name;
    input.focus();
  }

  close(): void {
    this.element.hidden = true;
    this.showError(null);
  }

  get isOpen(): boolean {
    return !this.element.hidden;
  }

  showError(text: string | null): void {
    this.error.textContent = text ?? '';
    this.error.hidden = !text;
  }

  private value(): ContactDetailsValue {
    const text = (input: HTMLInputElement) => input.value.trim() || null;
    return { name: text(this.name), email: text(this.email), phone: text(this.phone), consent: this.consent.checked };
  }
}
