/** Figures of a run: printed, and written to apps/hardening/results/<name>.json (gitignored). */
import { mkdirSync, writeFileSync } from 'node:fs';

export function report(name: string, figures: Record<string, unknown>): void {
  const dir = new URL('../results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const text = JSON.stringify({ suite: name, at: new Date().toISOString(), ...figures }, null, 2);
  writeFileSync(new URL(`${name}.json`, dir), `${text}\n`);
  console.log(`[hardening] ${name}: ${JSON.stringify(figures)}`);
}
