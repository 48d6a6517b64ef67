import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The in-browser GraphQL IDE (GraphiQL 4, the maintained successor of GraphQL Playground),
 * served from node_modules so it works with no internet. Its bundle speaks
 * graphql-transport-ws for subscriptions; admins put {"x-api-key": "..."} in its headers
 * editor, and the page forwards those headers as connectionParams on the socket.
 */
const ASSETS: Record<string, { pkg: string; file: string; type: string }> = {
  'react.js': { pkg: 'react', file: 'umd/react.production.min.js', type: 'application/javascript; charset=utf-8' },
  'react-dom.js': { pkg: 'react-dom', file: 'umd/react-dom.production.min.js', type: 'application/javascript; charset=utf-8' },
  'graphiql.js': { pkg: 'graphiql', file: 'graphiql.min.js', type: 'application/javascript; charset=utf-8' },
  'graphiql.css': { pkg: 'graphiql', file: 'graphiql.min.css', type: 'text/css; charset=utf-8' },
  'playground.js': { pkg: '', file: '', type: 'application/javascript; charset=utf-8' },
};

const cache = new Map<string, Buffer>();

function packageDir(pkg: string): string {
  return path.dirname(require.resolve(`${pkg}/package.json`));
}

/**
 * What the query editor shows on a first visit (instead of GraphiQL's welcome comment): one
 * example of each kind of operation; the run button asks which one to run.
 */
export const PLAYGROUND_EXAMPLES = `# WarmProspect Concierge: example operations. Admin ones need your API key in the
# Headers tab below ({"x-api-key": "wpk_..."}). Press run and pick an operation.

# A query (admin): your businesses and the tag to paste on their sites.
query Businesses {
  businesses {
    id
    name
    embedSnippet
  }
}

# A mutation (public): a chat session, greeting first. Use an id from Businesses.
mutation StartSession {
  startSession(businessId: "BUSINESS_ID") {
    id
    messages { role text }
  }
}

# A subscription (public, over WebSocket): a reply as it streams.
# sendMessage(input: {sessionId, text}) gives the replyId.
subscription ReplyStream {
  replyStream(replyId: "REPLY_ID") {
    seq
    delta
    done
  }
}
`;

const BOOT_SCRIPT = `
(function () {
  var url = location.origin + '/graphql';
  var wsUrl = url.replace(/^http/, 'ws');
  var fetcher = GraphiQL.createFetcher({ url: url, subscriptionUrl: wsUrl, headers: { 'apollo-require-preflight': 'true' } });
  // The API key lives in the headers editor, in memory only: GraphiQL keeps everything it
  // would store (tabs, history — which holds the headers too) in an in-memory Storage, so closing
  // the tab forgets the key. /graphql?persistHeaders=session keeps it all in sessionStorage (this
  // tab only), opt-in. Never localStorage; what an earlier version left there is removed.
  try {
    Object.keys(window.localStorage).forEach(function (k) { if (k.indexOf('graphiql:') === 0) window.localStorage.removeItem(k); });
  } catch (e) {}
  var persist = new URLSearchParams(location.search).get('persistHeaders') === 'session';
  var memory = {};
  var inMemory = {
    getItem: function (k) { return Object.prototype.hasOwnProperty.call(memory, k) ? memory[k] : null; },
    setItem: function (k, v) { memory[k] = String(v); },
    removeItem: function (k) { delete memory[k]; },
    clear: function () { memory = {}; },
    key: function (i) { return Object.keys(memory)[i] || null; },
    get length() { return Object.keys(memory).length; },
  };
  var props = {
    fetcher: fetcher,
    defaultEditorToolsVisibility: 'headers',
    defaultHeaders: '{\\n  "x-api-key": ""\\n}',
    defaultQuery: ${JSON.stringify(PLAYGROUND_EXAMPLES)},
    shouldPersistHeaders: persist,
    storage: persist ? window.sessionStorage : inMemory,
  };
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, props));
})();
`;

export function playgroundAsset(name: string): { body: Buffer; type: string } | null {
  const asset = ASSETS[name];
  if (!asset) return null;
  let body = cache.get(name);
  if (!body) {
    body = name === 'playground.js' ? Buffer.from(BOOT_SCRIPT) : readFileSync(path.join(packageDir(asset.pkg), asset.file));
    cache.set(name, body);
  }
  return { body, type: asset.type };
}

export const PLAYGROUND_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>WarmProspect Concierge — GraphQL Playground</title>
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <link rel="stylesheet" href="/playground/graphiql.css" />
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql">Loading the GraphQL Playground…</div>
  <script src="/playground/react.js"></script>
  <script src="/playground/react-dom.js"></script>
  <script src="/playground/graphiql.js"></script>
  <script src="/playground/playground.js"></script>
</body>
</html>
`;

/** A browser navigation to /graphql (not a GraphQL GET request) gets the IDE. */
export function wantsPlayground(method: string, accept: string | undefined, query: unknown): boolean {
  if (method !== 'GET') return false;
  if (!accept || !accept.includes('text/html')) return false;
  const q = query as Record<string, unknown> | undefined;
  return !q || q.query === undefined;
}
