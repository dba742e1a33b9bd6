import { existsSync } from 'node:fs';

/** Debian's Chromium (never a downloaded browser), with the flags this network needs. */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** In CI a missing browser is a failure; elsewhere the test says why it did not run. */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env['CI'])
    throw new Error(`Chromium not found at ${CHROMIUM}: .ci/run installs the Debian package 'chromium'`);
  console.warn(
    `skipping browser checks: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
  );
  return false;
}
