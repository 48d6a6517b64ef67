import { CHROMIUM, haveChromium } from './chromium';

export { CHROMIUM, collectConsoleErrors, haveChromium, launchChromium } from './chromium';

/**
 * `describe` for a browser test file. Without Chromium the file is skipped on a developer's
 * machine (with the reason in its name) but runs, and fails at launch, under CI: CI installs
 * Chromium, so a missing one there is a broken setup, not a reason to pass.
 */
export const describeInBrowser: jest.Describe = haveChromium || process.env.CI ? describe : describe.skip;

if (!haveChromium && !process.env.CI) {
  describe(`browser tests (skipped: ${CHROMIUM} is absent; apt-get install chromium, as .ci/debian-packages does)`, () => {
    it.skip('needs Debian chromium', () => undefined);
  });
}
