import { chromium, type Browser, type Page } from 'playwright-core';
import { existsSync } from 'node:fs';

/**
 * Headless Chromium for the browser tests and the widget benchmark: Debian's chromium
 * (.ci/debian-packages installs it) driven by playwright-core, which downloads no browser.
 * No Jest here (the benchmark imports it); test files use ./browser.ts.
 */

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

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
