import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's chromium: playwright's own browser downloads are not possible on these machines. */
export const CHROMIUM = '/usr/bin/chromium';

/** Whether the browser suite can run here; GANTRY_REQUIRE_BROWSER=1 (CI) makes its absence a failure. */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.GANTRY_REQUIRE_BROWSER === '1')
    throw new Error(`${CHROMIUM} is absent and GANTRY_REQUIRE_BROWSER=1: install it (apt-get install -y chromium)`);
  process.stderr.write(
    `\nBROWSER TESTS NOT RUN: ${CHROMIUM} is absent (apt-get install -y chromium; GANTRY_REQUIRE_BROWSER=1 makes this a failure)\n`,
  );
  return false;
}

/** Headless chromium with a fresh profile (its --user-data-dir), nothing fetched from the network. */
export async function launchChromium(
  viewport = { width: 1280, height: 800 },
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'gantry-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    acceptDownloads: true,
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
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
