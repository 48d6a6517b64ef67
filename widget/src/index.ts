import { WarmProspectChat } from './element';

/**
 * The embed script. `<script src="https://SERVER/widget.js" data-business-id="ID" async>`
 * defines `<warmprospect-chat>` and adds one to the page for that business, talking to the
 * server the script came from. A page may instead place the element itself:
 * `<warmprospect-chat business-id="ID" server="https://SERVER"></warmprospect-chat>`.
 */

const TAG = 'warmprospect-chat';

if (!customElements.get(TAG)) customElements.define(TAG, WarmProspectChat);

const script = document.currentScript as HTMLScriptElement | null;
const businessId = script?.dataset.businessId;

function mount(): void {
  if (!script || !businessId) return;
  const already = Array.from(document.querySelectorAll(TAG)).some((node) => node.getAttribute('business-id') === businessId);
  if (already) return;
  const chat = document.createElement(TAG);
  chat.setAttribute('business-id', businessId);
  chat.setAttribute('server', new URL(script.src, window.location.href).origin);
  document.body.append(chat);
}

if (document.body) mount();
else document.addEventListener('DOMContentLoaded', mount, { once: true });
