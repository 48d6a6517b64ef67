/**
 * The tag a business pastes into its site (API.md "Widget"): `Business.embedSnippet`, the demo
 * page and the README all show this one string. `baseUrl` is the server's public base URL
 * (PUBLIC_URL, or derived from the request); business ids are UUIDs, so nothing needs escaping
 * inside the attribute, but the URL is escaped anyway for a PUBLIC_URL with odd characters.
 */
export function embedSnippet(baseUrl: string, businessId: string): string {
  const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return `<script src="${attr(baseUrl)}/widget.js" data-business-id="${attr(businessId)}" async></script>`;
}
