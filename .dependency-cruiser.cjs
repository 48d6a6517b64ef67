/**
 * The architecture, written down and checked in CI (`npm run depcheck`).
 *
 * Layers, bottom to top:
 *   config, observability, common, redis, db, jobs,      infrastructure every feature may use
 *   outbound (the HTTP client for tenant-given URLs)
 *   auth → business → llm, knowledge → chat → voice       features; each depends downward only
 *   webhooks (the outbox), leads, analytics                features too: they use chat's records
 *                                                          and hand events to the webhooks outbox
 *   schema, server                                         GraphQL and HTTP plumbing
 *   core.ts (buildCore), app.ts (buildApp), worker-app.ts (buildWorker), main.ts, worker.ts
 *                                                          the composition root and entry points
 * Type-only imports count: a cycle of types is still a cycle for a reader.
 */
const FEATURES = '^src/(auth|business|chat|knowledge|llm|voice|leads|webhooks|analytics)/';
const INFRA = '^src/(config|observability|common|redis|db|jobs|outbound)/';
const ROOT = '^src/(core|app|worker-app|worker|main)\\.ts$';

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'No import cycles, types included.', from: {}, to: { circular: true } },
    {
      name: 'features-not-server',
      severity: 'error',
      comment: 'Features never import HTTP/GraphQL plumbing (server/, schema/): it imports them.',
      from: { path: `${FEATURES}|${INFRA}` },
      to: { path: '^src/(server|schema)/' },
    },
    {
      name: 'only-entry-points-import-the-root',
      severity: 'error',
      comment: 'Services get their collaborators through constructors; nothing below reaches back into the composition root.',
      from: { path: `${FEATURES}|${INFRA}|^src/server/` },
      to: { path: ROOT },
    },
    {
      name: 'infrastructure-below-features',
      severity: 'error',
      comment: 'config, observability, common, redis, db and jobs know no feature (db/entities.ts lists the ORM entities and is the one exception).',
      from: { path: INFRA, pathNot: '^src/db/(entities|orm|migrate\\.cli)\\.ts$' },
      to: { path: FEATURES },
    },
    {
      name: 'llm-no-orm',
      severity: 'error',
      comment: 'The LLM providers work on plain data (BusinessProfile), never on ORM entities or the database.',
      from: { path: '^src/llm/' },
      to: { path: ['\\.entity\\.ts$', '^src/db/', '@mikro-orm'] },
    },
    {
      name: 'llm-knows-no-feature-but-business-profile',
      severity: 'error',
      from: { path: '^src/llm/' },
      to: { path: FEATURES, pathNot: ['^src/llm/', '^src/business/business\\.profile\\.ts$'] },
    },
    { name: 'chat-not-voice', severity: 'error', comment: 'Voice turns audio into text and hands chat a turn; chat knows nothing of voice.', from: { path: '^src/chat/' }, to: { path: '^src/voice/' } },
    {
      name: 'knowledge-not-chat-or-voice',
      severity: 'error',
      comment: 'Chat retrieves from knowledge, never the other way round.',
      from: { path: '^src/knowledge/' },
      to: { path: '^src/(chat|voice)/' },
    },
    {
      name: 'business-and-auth-are-below-the-conversation',
      severity: 'error',
      from: { path: '^src/(auth|business)/' },
      to: { path: '^src/(chat|voice|knowledge|llm)/' },
    },
    {
      name: 'auth-not-business',
      severity: 'error',
      comment: 'Business admin checks keys; keys know no business row (the apikey CLI is an entry point and wires its own).',
      from: { path: '^src/auth/', pathNot: '^src/auth/apikey\\.cli\\.ts$' },
      to: { path: '^src/business/' },
    },
    {
      name: 'outbound-is-a-leaf',
      severity: 'error',
      comment: 'The outbound client (src/outbound/) imports no feature and nothing else of ours: every feature can use it, it knows none.',
      from: { path: '^src/outbound/' },
      to: { path: '^src/', pathNot: '^src/outbound/' },
    },
    {
      name: 'tenant-urls-only-through-outbound',
      severity: 'error',
      comment: 'undici (with its address-checking lookup) is used by src/outbound/ only; features fetch tenant-given URLs through core.outbound.',
      from: { path: '^src/', pathNot: '^src/outbound/' },
      to: { path: 'node_modules/undici/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
