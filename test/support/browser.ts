import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Headless Chromium for the browser tests (the Playground and the widget): Debian's chromium
 * (.ci/debian-packages installs it) driven by playwright-core, which downloads no browser.
 */

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

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

/**
 * Flags from the machine notes: no sandbox as root, no GPU, and no background networking (the
 * closed network refuses it). Playwright adds --headless and a new, empty profile directory.
 */
const BASE_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Starts headless Chromium with the base flags and `extraArgs` (e.g. a fake microphone). */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  if (!haveChromium) throw new Error(`${CHROMIUM} is absent: apt-get install chromium (.ci/debian-packages)`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...BASE_ARGS, ...extraArgs] });
}

/** Collects the page's console errors and uncaught exceptions, for a test to assert there are none. */
export function collectConsoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}
