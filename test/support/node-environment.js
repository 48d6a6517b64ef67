// The Gemini SDK reaches undici's global dispatcher through a global symbol that Jest's
// per-file sandbox does not copy (STACK-NOTES.md). Copy it in, so the real SDK runs in tests.
const { TestEnvironment } = require('jest-environment-node');

const DISPATCHER = Symbol.for('undici.globalDispatcher.1');

class ConciergeEnvironment extends TestEnvironment {
  async setup() {
    await super.setup();
    // Node creates the dispatcher lazily (on first fetch/Headers use), often after setup ran:
    // read it from the outer realm on demand instead of copying a possibly missing value.
    Object.defineProperty(this.global, DISPATCHER, {
      configurable: true,
      get: () => {
        if (!globalThis[DISPATCHER]) new globalThis.Headers();
        return globalThis[DISPATCHER];
      },
    });
  }
}
module.exports = ConciergeEnvironment;
