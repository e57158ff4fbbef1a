import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium: browser tests drive it through playwright-core (no downloaded browser). */
export const CHROMIUM = '/usr/bin/chromium';
/** Browser tests skip where Chromium is missing, except in CI, where they must run. */
export const skipBrowserTests = !existsSync(CHROMIUM) && !process.env.CI;

/** A headless Chromium with nothing of its own reaching the network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
