import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it). Never a downloaded browser. */
export function chromiumPath(): string | null {
  const candidates = [
    process.env.CHROMIUM_PATH,
    '/usr/lib/chromium/chromium',
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
  ];
  return candidates.find((p): p is string => p !== undefined && p !== '' && existsSync(p)) ?? null;
}

/**
 * Why browser tests cannot run here, or null when they can. Where CI asks for the browser
 * (BULKHEAD_REQUIRE_BROWSER=1, set by .ci/run), a missing one is a failure, not a skip.
 */
export function browserMissing(): string | null {
  if (chromiumPath() !== null) return null;
  const why = 'no chromium found (apt-get install -y chromium, or set CHROMIUM_PATH)';
  if (process.env.BULKHEAD_REQUIRE_BROWSER === '1') throw new Error(why);
  return why;
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath() as string,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}
