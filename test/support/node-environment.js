// The Gemini SDK reaches undici's global dispatcher through a global symbol that Jest's
// per-file sandbox does not copy (STACK-NOTES.md). Copy it in, so the real SDK runs in tests.
const { TestEnvironment } = require('jest-environment-node');

const DISPATCHER = Symbol.for('undici.globalDispatcher.1');

class ConciergeEnvironment extends TestEnvironment {
  async setup() {
    await super.setup();
    // Node creates the dispatcher lazily; constructing Headers triggers undici's set-up.
    if (!globalThis[DISPATCHER] && typeof globalThis.Headers === 'function') new globalThis.Headers();
    if (globalThis[DISPATCHER]) this.global[DISPATCHER] = globalThis[DISPATCHER];
  }
}
module.exports = ConciergeEnvironment;
