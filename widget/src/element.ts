import { ChatApi, ChatApiError } from './api';
import { followReply } from './reply';
import { ContactForm, type ContactDetailsValue } from './contact-form';
import { ChatStorage, MAX_RATINGS } from './storage';
import { STYLES } from './styles';
import { el, link, safeHttpUrl, textWithLinks } from './text';
import { canRecord, startRecording, type Recording } from './voice';
import {
  WidgetBusinessDocument,
  WidgetRateMessageDocument,
  WidgetSendMessageDocument,
  WidgetSendVoiceDocument,
  WidgetSessionDocument,
  WidgetStartSessionDocument,
  WidgetSubmitContactDocument,
  type WidgetBusinessQuery,
  type WidgetCtaFragment,
  type WidgetMessageFragment,
} from '../generated/graphql';

type Business = NonNullable<WidgetBusinessQuery['publicBusiness']>;
type Role = WidgetMessageFragment['role'];
type Rating = 'UP' | 'DOWN';

const HEX_COLOUR = /^#[0-9a-f]{6}$/i;

/** White or near-black text, whichever reads better on the accent colour (WCAG luminance). */
function onAccent(hex: string): string {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  return luminance > 0.4 ? '#111827' : '#ffffff';
}

/** An answer to the visitor (not a menu of CTAs, a greeting or a local notice): it can be rated. */
function isAnswer(m: WidgetMessageFragment): boolean {
  return m.role === 'ASSISTANT' && m.ctas.length === 0;
}

/**
 * `<warmprospect-chat business-id="…" server="https://chat.example.com">`: the concierge as a
 * custom element with an open shadow root. A launcher button opens a panel with the greeting
 * and entry CTAs; visitor messages go to `sendMessage`, replies stream in over `replyStream`.
 * The session id is kept in localStorage per business, so a page load continues the
 * conversation with its transcript. Everything the server sends is shown as text.
 */
export class WarmProspectChat extends HTMLElement {
  private readonly root: ShadowRoot;
  private api!: ChatApi;
  private storage!: ChatStorage;
  private business: Business | null = null;
  private sessionId: string | null = null;
  private session: Promise<string> | null = null;
  private started = false;
  /** A message is being sent or its reply is streaming. */
  private busy = false;
  private rateLimitedUntil = 0;
  private countdown: ReturnType<typeof setInterval> | undefined;
  private recording: Recording | null = null;
  /** The visitor closed the contact form with "Not now": the bot asking again does not reopen it (the button still does). */
  private contactDismissed = false;

  // The parts of the shadow tree, built once in connectedCallback.
  private readonly launcher = el('button', { part: 'launcher', class: 'launcher', type: 'button', 'aria-expanded': 'false', 'aria-controls': 'panel', 'aria-haspopup': 'dialog' });
  private readonly launcherText = el('span', {}, 'Chat with us');
  private readonly panel = el('div', { part: 'panel', class: 'panel', id: 'panel', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'title' });
  private readonly heading = el('h2', { id: 'title' });
  private readonly log = el('div', { class: 'log', role: 'log', 'aria-live': 'off', 'aria-label': 'Conversation', tabindex: '0' });
  private readonly ctas = el('div', { class: 'ctas', role: 'group', 'aria-label': 'Suggested replies' });
  private readonly notice = el('div', { class: 'notice' });
  private readonly form = el('form', { 'aria-label': 'Send a message' });
  private readonly input = el('textarea', { part: 'input', rows: '1', maxlength: '4000', 'aria-label': 'Your message', placeholder: 'Type your message…' });
  private readonly voice = el('button', { part: 'voice', class: 'voice', type: 'button', 'aria-pressed': 'false', 'aria-label': 'Record a voice message' }, '🎤');
  private readonly send = el('button', { part: 'send', class: 'send', type: 'submit' }, 'Send');
  private readonly privacy = el('p', { class: 'privacy', id: 'privacy' });
  /** Announces finished replies and notices to screen readers (the log itself is not live, so streaming is not read out piece by piece). */
  private readonly live = el('div', { class: 'sr-only', 'aria-live': 'polite', 'aria-atomic': 'true' });
  private readonly typing = el('div', { class: 'typing', part: 'typing' });
  private readonly detailsButton = el('button', { class: 'link-button', type: 'button' }, 'Leave your details');
  private readonly contact = new ContactForm({
    submit: (value) => this.submitContact(value),
    dismiss: () => {
      this.contactDismissed = true;
      this.contact.close();
      this.input.focus();
    },
  });

  constructor() {
    super();
    this.root = this.attachShadow({ mode: 'open' });
  }

  connectedCallback(): void {
    if (this.started) return;
    this.started = true;
    const businessId = this.getAttribute('business-id') ?? '';
    const server = (this.getAttribute('server') ?? window.location.origin).replace(/\/+$/, '');
    this.api = new ChatApi(server);
    this.storage = new ChatStorage(businessId);
    this.build();
    void this.loadBusiness(businessId);
  }

  disconnectedCallback(): void {
    clearInterval(this.countdown);
    this.api?.close();
  }

  // ---- building and theming ----

  private build(): void {
    const style = el('style', {}, STYLES);
    this.launcher.hidden = true;
    this.launcher.append(this.launcherText);
    this.panel.hidden = true;
    this.notice.hidden = true;
    this.voice.hidden = true;
    this.privacy.hidden = true;
    this.typing.append(el('span'), el('span'), el('span'), el('span', { class: 'sr-only' }, 'Typing…'));

    const close = el('button', { class: 'close', type: 'button', 'aria-label': 'Close chat' }, '×');
    const header = el('header');
    header.append(this.heading, close);
    this.form.append(this.input, this.voice, this.send);
    const footer = el('div', { class: 'footer' });
    footer.append(this.detailsButton);
    this.panel.append(header, this.log, this.ctas, this.contact.element, this.notice, this.form, footer, this.privacy);
    this.detailsButton.addEventListener('click', () => (this.contact.isOpen ? this.contact.close() : this.contact.open()));
    this.root.append(style, this.launcher, this.panel, this.live);

    this.launcher.addEventListener('click', () => (this.panel.hidden ? this.open() : this.close()));
    close.addEventListener('click', () => this.close());
    this.panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.close();
    });
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.sendText(this.input.value);
    });
    this.input.addEventListener('keydown', (e) => {
      // Enter sends, Shift+Enter is a new line; not while an IME is composing.
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.form.requestSubmit();
      }
    });
    this.input.addEventListener('input', () => {
      this.input.style.height = 'auto';
      this.input.style.height = `${Math.min(this.input.scrollHeight, 120)}px`;
    });
    this.voice.addEventListener('click', () => void this.toggleRecording());
  }

  private async loadBusiness(id: string): Promise<void> {
    try {
      const { publicBusiness } = await this.api.request(WidgetBusinessDocument, { id });
      if (!publicBusiness) return this.unavailable('NOT_FOUND');
      this.business = publicBusiness;
      this.applyTheme(publicBusiness);
      this.launcher.hidden = false;
      this.setAttribute('state', 'ready');
    } catch (err) {
      this.unavailable(err instanceof ChatApiError ? err.code : 'INTERNAL_SERVER_ERROR');
    }
  }

  /** No launcher at all: the business is unknown, or this site may not use its chat. */
  private unavailable(code: string): void {
    this.setAttribute('state', 'unavailable');
    this.setAttribute('error', code);
  }

  private applyTheme(business: Business): void {
    if (HEX_COLOUR.test(business.themeColor)) {
      this.style.setProperty('--wp-accent', business.themeColor);
      this.style.setProperty('--wp-on-accent', onAccent(business.themeColor));
    }
    this.setAttribute('data-position', business.widgetPosition);
    this.launcherText.textContent = business.buttonText?.trim() || 'Chat with us';
    this.heading.textContent = business.name;
    this.contact.setBusinessName(business.name);
    this.panel.setAttribute('aria-label', `Chat with ${business.name}`);
    const logo = safeHttpUrl(business.logoUrl);
    if (logo) {
      this.launcher.prepend(el('img', { src: logo, alt: '' }));
      this.heading.before(el('img', { src: logo, alt: '' }));
    }
    if (business.privacyStatement?.trim()) {
      this.privacy.textContent = business.privacyStatement;
      this.privacy.hidden = false;
      this.panel.setAttribute('aria-describedby', 'privacy');
    }
    this.voice.hidden = !(business.voiceEnabled && canRecord());
  }

  // ---- opening and closing ----

  open(): void {
    this.panel.hidden = false;
    this.launcher.setAttribute('aria-expanded', 'true');
    this.input.focus();
    this.ensureSession().catch((err: unknown) => this.showError(err));
  }

  close(): void {
    this.panel.hidden = true;
    this.launcher.setAttribute('aria-expanded', 'false');
    this.launcher.focus();
  }

  // ---- the session ----

  /** The session id: the stored session with its transcript, or a new session with the greeting. */
  private ensureSession(): Promise<string> {
    this.session ??= this.loadSession().catch((err: unknown) => {
      this.session = null; // try again on the next action
      throw err;
    });
    return this.session;
  }

  private async loadSession(): Promise<string> {
    const stored = this.storage.read();
    if (stored.sessionId) {
      try {
        const { session } = await this.api.request(WidgetSessionDocument, { id: stored.sessionId });
        if (session) {
          this.sessionId = session.id;
          this.renderTranscript(session.messages);
          this.contact.prefill(session.contactDetails);
          // A reply that was streaming when the page went away: show it to its end.
          const last = session.messages[session.messages.length - 1];
          if (stored.pendingReplyId && last?.role === 'USER') void this.streamReply(stored.pendingReplyId).catch((err: unknown) => this.showError(err));
          else this.storage.update({ pendingReplyId: undefined });
          return session.id;
        }
      } catch (err) {
        if (!(err instanceof ChatApiError && err.code === 'NOT_FOUND')) throw err;
      }
    }
    return this.startNewSession();
  }

  private async startNewSession(): Promise<string> {
    const { startSession } = await this.api.request(WidgetStartSessionDocument, { businessId: this.business?.id ?? this.getAttribute('business-id') ?? '' });
    this.sessionId = startSession.id;
    this.storage.update({ sessionId: startSession.id, pendingReplyId: undefined, ratings: undefined });
    this.log.replaceChildren();
    this.renderTranscript(startSession.messages);
    return startSession.id;
  }

  /**
   * Runs a turn in the session; when the session has expired meanwhile (NOT_FOUND), starts a
   * new one and runs the turn once more there.
   */
  private async inSession<T>(turn: (sessionId: string) => Promise<T>): Promise<T> {
    const id = await this.ensureSession();
    try {
      return await turn(id);
    } catch (err) {
      if (!(err instanceof ChatApiError && err.code === 'NOT_FOUND')) throw err;
      this.session = this.startNewSession();
      return turn(await this.session);
    }
  }

  // ---- the transcript ----

  private renderTranscript(messages: readonly WidgetMessageFragment[]): void {
    let visitorSpoke = false;
    for (const m of messages) {
      const bubble = this.appendMessage(m.role, m.text, m.id);
      if (m.role === 'USER') visitorSpoke = true;
      else if (visitorSpoke && isAnswer(m)) this.addRating(bubble, m.id);
    }
    const last = messages[messages.length - 1];
    const visitorWrote = messages.some((m) => m.role === 'USER');
    this.showCtas(last?.role === 'ASSISTANT' ? last.ctas : [], visitorWrote ? [] : (this.business?.suggestedQuestions ?? []));
    this.scrollToEnd();
  }

  private appendMessage(role: Role, text: string, id?: string): HTMLElement {
    const kind = role === 'USER' ? 'user' : 'assistant';
    const bubble = el('div', { part: `message ${kind}`, class: `message ${kind}` });
    if (id) bubble.dataset.id = id;
    bubble.append(textWithLinks(text));
    if (this.typing.isConnected) this.typing.before(bubble);
    else this.log.append(bubble);
    this.scrollToEnd();
    return bubble;
  }

  private setText(bubble: HTMLElement, text: string): void {
    bubble.replaceChildren(textWithLinks(text));
  }

  /** The CTAs of the latest assistant message (and, before the visitor wrote, the suggested questions). */
  private showCtas(ctas: readonly WidgetCtaFragment[], suggestions: readonly string[] = []): void {
    this.ctas.replaceChildren();
    for (const cta of ctas) {
      const href = cta.action === 'LINK' ? safeHttpUrl(cta.url) : null;
      if (href) {
        // A link opens the site in a new tab; the click is also told to the conversation.
        const a = link(href, cta.label, 'cta');
        a.className = 'cta';
        a.addEventListener('click', () => void this.sendCta(cta));
        this.ctas.append(a);
      } else {
        const button = el('button', { part: 'cta', class: 'cta', type: 'button' }, cta.label);
        button.addEventListener('click', () => void this.sendCta(cta));
        this.ctas.append(button);
      }
    }
    for (const question of suggestions) {
      const button = el('button', { part: 'cta', class: 'cta', type: 'button' }, question);
      button.addEventListener('click', () => void this.sendText(question));
      this.ctas.append(button);
    }
  }

  private showTyping(on: boolean): void {
    if (on) this.log.append(this.typing);
    else this.typing.remove();
    this.scrollToEnd();
  }

  private scrollToEnd(): void {
    this.log.scrollTop = this.log.scrollHeight;
  }

  private announce(text: string): void {
    this.live.textContent = text;
  }

  private showNotice(text: string): void {
    this.notice.textContent = text;
    this.notice.hidden = false;
  }

  private hideNotice(): void {
    this.notice.hidden = true;
    this.notice.textContent = '';
  }

  // ---- turns ----

  private canSend(): boolean {
    return !this.busy && Date.now() >= this.rateLimitedUntil;
  }

  private setBusy(busy: boolean): void {
    this.busy = busy;
    this.send.disabled = !this.canSend();
    this.voice.disabled = busy;
    this.root.querySelectorAll<HTMLButtonElement>('button.cta').forEach((b) => (b.disabled = busy));
  }

  async sendText(raw: string): Promise<void> {
    const text = raw.trim();
    if (!text || !this.canSend()) return;
    this.setBusy(true);
    this.hideNotice();
    this.input.value = '';
    const bubble = this.appendMessage('USER', text);
    this.showCtas([]);
    try {
      const receipt = await this.inSession(async (sessionId) => (await this.api.request(WidgetSendMessageDocument, { input: { sessionId, text } })).sendMessage);
      bubble.dataset.id = receipt.userMessage.id;
      await this.streamReply(receipt.replyId);
    } catch (err) {
      if (!bubble.dataset.id) {
        // Not sent: take it back into the input, so nothing the visitor typed is lost.
        bubble.remove();
        this.input.value = text;
      }
      this.showError(err);
    } finally {
      this.setBusy(false);
    }
  }

  private async sendCta(cta: WidgetCtaFragment): Promise<void> {
    if (!this.canSend()) return;
    this.setBusy(true);
    this.hideNotice();
    try {
      const receipt = await this.inSession(async (sessionId) => (await this.api.request(WidgetSendMessageDocument, { input: { sessionId, ctaId: cta.id } })).sendMessage);
      this.showCtas([]);
      this.appendMessage('USER', receipt.userMessage.text, receipt.userMessage.id);
      await this.streamReply(receipt.replyId);
    } catch (err) {
      this.showError(err);
    } finally {
      this.setBusy(false);
    }
  }

  /** Shows a reply as it streams: the typing indicator until the first text, then the text growing. */
  private async streamReply(replyId: string): Promise<void> {
    this.storage.update({ pendingReplyId: replyId });
    this.showTyping(true);
    let bubble: HTMLElement | null = null;
    let text = '';
    try {
      const outcome = await followReply(this.api, replyId, {
        delta: (delta) => {
          if (!bubble) {
            this.showTyping(false);
            this.hideNotice();
            bubble = this.appendMessage('ASSISTANT', '');
          }
          text += delta;
          this.setText(bubble, text);
          this.scrollToEnd();
        },
        reconnecting: () => this.showNotice('Connection lost. Reconnecting…'),
      });
      this.hideNotice();
      const message = outcome.message;
      if (!message) {
        this.showNotice(outcome.error?.message ? `Sorry, the reply did not finish: ${outcome.error.message}` : 'Sorry, the reply did not finish. Please try again.');
        return;
      }
      // The stored message is the reference: its text is what the reply said, whole.
      const shown: HTMLElement = bubble ?? this.appendMessage('ASSISTANT', '');
      shown.dataset.id = message.id;
      this.setText(shown, message.text);
      if (isAnswer(message)) this.addRating(shown, message.id);
      this.showCtas(message.ctas);
      this.announce(`${this.business?.name ?? 'Assistant'}: ${message.text}`);
      // The server flags a reply that asks for a contact detail: offer the form, focused on that field.
      if (message.asksForContact && !this.contact.isOpen && !this.contactDismissed) this.contact.open(message.asksForContact);
    } finally {
      this.showTyping(false);
      this.storage.update({ pendingReplyId: undefined });
    }
  }

  // ---- thumbs on answers ----

  /**
   * Thumbs up and down under an answer: two toggle buttons (aria-pressed), the pressed one
   * restored from storage after a reload. A click sends rateMessage (the last rating counts);
   * if it fails, the buttons show what was stored before and the notice says why.
   */
  private addRating(bubble: HTMLElement, messageId: string): void {
    const group = el('div', { part: 'rating', class: 'rating', role: 'group', 'aria-label': 'Was this answer helpful?' });
    group.dataset.for = messageId;
    const buttons: Record<Rating, HTMLButtonElement> = {
      UP: el('button', { part: 'rate rate-up', class: 'rate', type: 'button', 'aria-pressed': 'false', 'aria-label': 'Helpful', title: 'Helpful' }, '👍'),
      DOWN: el('button', { part: 'rate rate-down', class: 'rate', type: 'button', 'aria-pressed': 'false', 'aria-label': 'Not helpful', title: 'Not helpful' }, '👎'),
    };
    const show = (rating: Rating | null) => {
      for (const r of ['UP', 'DOWN'] as const) buttons[r].setAttribute('aria-pressed', String(r === rating));
    };
    show(this.storage.read().ratings?.[messageId] ?? null);
    for (const rating of ['UP', 'DOWN'] as const) {
      buttons[rating].addEventListener('click', () => void this.rate(messageId, rating, show));
      group.append(buttons[rating]);
    }
    bubble.after(group);
  }

  private async rate(messageId: string, rating: Rating, show: (rating: Rating | null) => void): Promise<void> {
    const before = this.storage.read().ratings?.[messageId] ?? null;
    if (before === rating) return;
    show(rating);
    try {
      // No new session on NOT_FOUND (as inSession would): the message belongs to this one.
      const sessionId = await this.ensureSession();
      await this.api.request(WidgetRateMessageDocument, { input: { sessionId, messageId, rating } });
      const ratings = { ...this.storage.read().ratings, [messageId]: rating };
      const ids = Object.keys(ratings);
      for (const old of ids.slice(0, Math.max(0, ids.length - MAX_RATINGS))) delete ratings[old];
      this.storage.update({ ratings });
      this.announce('Thank you for your feedback.');
    } catch (err) {
      show(before);
      this.showError(err);
    }
  }

  // ---- the contact form ----

  private async submitContact(value: ContactDetailsValue): Promise<void> {
    try {
      await this.inSession((sessionId) => this.api.request(WidgetSubmitContactDocument, { sessionId, input: value }));
      this.contact.close();
      const thanks = `Thank you! ${this.business?.name ?? 'The team'} will be in touch.`;
      this.appendMessage('ASSISTANT', thanks);
      this.announce(thanks);
      this.input.focus();
    } catch (err) {
      // The server says which field is wrong (BAD_USER_INPUT); nothing of this submission was stored.
      if (err instanceof ChatApiError && err.code === 'BAD_USER_INPUT') this.contact.showError(err.message);
      else if (err instanceof ChatApiError && err.code === 'RATE_LIMITED') this.contact.showError(`Please try again in ${err.retryAfterSeconds ?? 30} s.`);
      else this.contact.showError('Your details could not be sent. Please try again.');
    }
  }

  // ---- voice ----

  private async toggleRecording(): Promise<void> {
    if (this.recording) {
      const recording = this.recording;
      this.recording = null;
      this.voice.setAttribute('aria-pressed', 'false');
      this.voice.setAttribute('aria-label', 'Record a voice message');
      const { blob, fileName } = await recording.stop();
      await this.sendVoice(blob, fileName);
      return;
    }
    if (!this.canSend()) return;
    try {
      this.recording = await startRecording(60_000, () => void this.toggleRecording());
      this.voice.setAttribute('aria-pressed', 'true');
      this.voice.setAttribute('aria-label', 'Stop recording and send');
      this.announce('Recording. Press the microphone button again to send.');
    } catch {
      this.showNotice('The microphone is not available.');
    }
  }

  private async sendVoice(audio: Blob, fileName: string): Promise<void> {
    this.setBusy(true);
    this.hideNotice();
    const bubble = this.appendMessage('USER', 'Voice message…');
    this.showCtas([]);
    try {
      const receipt = await this.inSession(
        async (sessionId) => (await this.api.upload(WidgetSendVoiceDocument, { sessionId, audio }, 'audio', audio, fileName)).sendVoiceMessage,
      );
      bubble.dataset.id = receipt.userMessage.id;
      if (receipt.userMessage.text) this.setText(bubble, receipt.userMessage.text);
      await this.streamReply(receipt.replyId);
      if (receipt.transcriptPending) await this.refreshTranscriptOf(bubble);
    } catch (err) {
      if (!bubble.dataset.id) bubble.remove();
      this.showError(err);
    } finally {
      this.setBusy(false);
    }
  }

  /** A transcript made in the background: read it from the session once the reply is there. */
  private async refreshTranscriptOf(bubble: HTMLElement): Promise<void> {
    if (!this.sessionId) return;
    const { session } = await this.api.request(WidgetSessionDocument, { id: this.sessionId });
    const stored = session?.messages.find((m) => m.id === bubble.dataset.id);
    if (stored?.text) this.setText(bubble, stored.text);
  }

  // ---- errors ----

  private showError(err: unknown): void {
    const code = err instanceof ChatApiError ? err.code : 'INTERNAL_SERVER_ERROR';
    if (code === 'RATE_LIMITED') return this.rateLimited(err instanceof ChatApiError ? (err.retryAfterSeconds ?? 30) : 30);
    const text =
      code === 'NETWORK'
        ? "We can't reach the chat right now. Check your connection and try again."
        : code === 'FORBIDDEN'
          ? 'This chat is not available on this website.'
          : code === 'BAD_USER_INPUT' && err instanceof Error
            ? err.message
            : 'Something went wrong. Please try again.';
    this.showNotice(text);
    this.announce(text);
  }

  /** RATE_LIMITED: says so, counts down, and lets the visitor send again at zero. */
  private rateLimited(seconds: number): void {
    this.rateLimitedUntil = Date.now() + seconds * 1000;
    this.send.disabled = true;
    this.announce(`You are sending messages too quickly. You can send again in ${seconds} seconds.`);
    const tick = () => {
      const left = Math.ceil((this.rateLimitedUntil - Date.now()) / 1000);
      if (left <= 0) {
        clearInterval(this.countdown);
        this.hideNotice();
        this.send.disabled = !this.canSend();
        return;
      }
      this.showNotice(`You're sending messages too quickly. You can send again in ${left} s.`);
    };
    clearInterval(this.countdown);
    tick();
    this.countdown = setInterval(tick, 1000);
  }
}
