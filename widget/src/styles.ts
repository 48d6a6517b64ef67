/**
 * The widget's styles, inside its shadow root (the host page's CSS does not leak in). A host
 * page restyles it through the CSS parts: launcher, panel, message (with user / assistant),
 * input, send, cta, voice, typing, contact-form, rating (a group) with rate + rate-up / rate-down — e.g. `warmprospect-chat::part(launcher) { border-radius: 8px }`.
 * `--wp-accent` (from the business's themeColor) and `--wp-on-accent` may be overridden too.
 */
export const STYLES = `
:host {
  all: initial;
  --wp-accent: #2563eb;
  --wp-on-accent: #ffffff;
  --wp-radius: 14px;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  font-size: 15px;
  line-height: 1.45;
  color: #111827;
}
[hidden] { display: none !important; }
* { box-sizing: border-box; }
.sr-only {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
button, textarea, a { font: inherit; }
button:focus-visible, textarea:focus-visible, a:focus-visible { outline: 3px solid #111827; outline-offset: 2px; }

.launcher {
  position: fixed; bottom: 20px; right: 20px; z-index: 2147483000;
  display: inline-flex; align-items: center; gap: 8px;
  min-height: 52px; padding: 0 20px; border: 0; border-radius: 999px; cursor: pointer;
  background: var(--wp-accent); color: var(--wp-on-accent);
  box-shadow: 0 6px 20px rgba(0, 0, 0, .25); font-weight: 600;
}
.launcher img { width: 28px; height: 28px; border-radius: 50%; object-fit: cover; }
:host([data-position="BOTTOM_LEFT"]) .launcher { right: auto; left: 20px; }
:host([data-position="CENTER"]) .launcher { right: auto; left: 50%; transform: translateX(-50%); }

.panel {
  position: fixed; bottom: 88px; right: 20px; z-index: 2147483001;
  display: flex; flex-direction: column;
  width: 380px; max-width: calc(100vw - 40px); height: 600px; max-height: calc(100vh - 108px);
  background: #ffffff; border-radius: var(--wp-radius); overflow: hidden;
  box-shadow: 0 12px 40px rgba(0, 0, 0, .3);
}
:host([data-position="BOTTOM_LEFT"]) .panel { right: auto; left: 20px; }
:host([data-position="CENTER"]) .panel { right: auto; left: 50%; bottom: 50%; transform: translate(-50%, 50%); }

header {
  display: flex; align-items: center; gap: 10px; padding: 12px 14px;
  background: var(--wp-accent); color: var(--wp-on-accent);
}
header img { width: 32px; height: 32px; border-radius: 50%; object-fit: cover; background: #fff; }
header h2 { flex: 1; margin: 0; font-size: 16px; font-weight: 600; }
.close {
  width: 36px; height: 36px; border: 0; border-radius: 50%; cursor: pointer;
  background: transparent; color: inherit; font-size: 22px; line-height: 1;
}

.log { flex: 1; overflow-y: auto; padding: 14px; display: flex; flex-direction: column; gap: 8px; background: #f9fafb; }
.message { max-width: 85%; padding: 9px 12px; border-radius: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
.message.assistant { align-self: flex-start; background: #ffffff; border: 1px solid #e5e7eb; }
.message.user { align-self: flex-end; background: var(--wp-accent); color: var(--wp-on-accent); }
.message.user a { color: inherit; }
.message.assistant a { color: #1d4ed8; }
.message.failed { opacity: .6; }

.rating { align-self: flex-start; display: flex; gap: 4px; margin-top: -4px; }
.rate {
  min-width: 32px; min-height: 32px; padding: 2px 6px; border-radius: 8px; cursor: pointer;
  border: 1px solid #d1d5db; background: #ffffff; color: #1f2937; font-size: 15px; line-height: 1;
  filter: grayscale(1); opacity: .75;
}
.rate[aria-pressed="true"] { filter: none; opacity: 1; border-color: var(--wp-accent); box-shadow: inset 0 0 0 1px var(--wp-accent); }
.rate:hover { opacity: 1; }

.typing { align-self: flex-start; display: inline-flex; gap: 4px; padding: 12px; background: #fff; border: 1px solid #e5e7eb; border-radius: 12px; }
.typing span { width: 7px; height: 7px; border-radius: 50%; background: #6b7280; animation: wp-blink 1.2s infinite ease-in-out; }
.typing span:nth-child(2) { animation-delay: .2s; }
.typing span:nth-child(3) { animation-delay: .4s; }
@keyframes wp-blink { 0%, 80%, 100% { opacity: .25; } 40% { opacity: 1; } }
@media (prefers-reduced-motion: reduce) { .typing span { animation: none; } }

.ctas { display: flex; flex-wrap: wrap; gap: 6px; padding: 0 14px 8px; background: #f9fafb; }
.ctas:empty { display: none; }
.cta {
  padding: 6px 12px; border-radius: 999px; cursor: pointer; text-decoration: none;
  border: 1px solid var(--wp-accent); background: #ffffff; color: #1f2937;
}
.cta:disabled { opacity: .5; cursor: default; }

.notice { margin: 0 14px 8px; padding: 8px 10px; border-radius: 8px; background: #fef3c7; color: #78350f; font-size: 14px; }

form { display: flex; align-items: flex-end; gap: 6px; padding: 10px; border-top: 1px solid #e5e7eb; background: #ffffff; }
textarea {
  flex: 1; min-height: 40px; max-height: 120px; resize: none; padding: 9px 10px;
  border: 1px solid #9ca3af; border-radius: 10px; color: #111827; background: #fff;
}
.send, .voice {
  min-width: 40px; height: 40px; padding: 0 12px; border: 0; border-radius: 10px; cursor: pointer;
  background: var(--wp-accent); color: var(--wp-on-accent); font-weight: 600;
}
.voice { background: #e5e7eb; color: #111827; }
.voice[aria-pressed="true"] { background: #dc2626; color: #ffffff; }
.send:disabled, .voice:disabled { opacity: .5; cursor: default; }

.contact { display: flex; flex-direction: column; gap: 8px; margin: 0 14px 8px; padding: 10px; border: 1px solid #e5e7eb; border-radius: 10px; background: #ffffff; }
.contact .form-title { margin: 0; font-weight: 600; }
.contact .field { display: flex; flex-direction: column; gap: 2px; font-size: 13px; color: #374151; }
.contact input[type="text"], .contact input[type="email"], .contact input[type="tel"] { padding: 7px 9px; border: 1px solid #9ca3af; border-radius: 8px; font: inherit; color: #111827; }
.contact .consent { font-size: 13px; color: #374151; }
.contact .actions { display: flex; gap: 8px; align-items: center; }
.form-error { margin: 0; color: #991b1b; font-size: 13px; }
.link-button { border: 0; background: none; padding: 4px; color: #1d4ed8; text-decoration: underline; cursor: pointer; font-size: 13px; }
.footer { display: flex; align-items: center; gap: 8px; padding: 0 12px 8px; background: #ffffff; }
.privacy { margin: 0; padding: 6px 12px 10px; font-size: 12px; color: #4b5563; background: #ffffff; }

/* Small screens: the open panel takes the whole screen. */
@media (max-width: 480px) {
  .panel, :host([data-position]) .panel {
    inset: 0; width: 100vw; max-width: none; height: 100%; max-height: none; border-radius: 0; transform: none;
  }
}
`;
