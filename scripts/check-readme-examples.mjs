#!/usr/bin/env node
// Type-checks every ```ts / ```typescript block of every README (root, packages/*, apps/*, apps/examples/*)
// against the workspace packages, so an example cannot drift from the API it shows.
//
// Each block becomes one module in a scratch directory inside the package the README documents,
// so its imports resolve through that package's node_modules (and the `@tessera/source`
// condition, i.e. the sources, not a stale build); a README that cannot be checked there names
// another host in HOSTS (apps/demo depends on every package). One `tsc` per host.
// A block is a complete module: fragments declare what they use (`declare const ctx: Context;`).
// A block that is not meant to compile is not TypeScript: mark it ```sh or ```text.
//
// `node scripts/check-readme-examples.mjs [dir...]` checks only those packages (e.g. packages/koa).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCRATCH = '.readme-check';
/** READMEs checked elsewhere than in their own package, and why. */
const HOSTS = {
  // Documents the whole workspace.
  'README.md': 'apps/demo',
  // Its Hono example needs @tessera/session-hono, whose tests depend on this package: as a
  // devDependency here it would close a cycle in the workspace graph, which turbo refuses.
  'packages/redis/README.md': 'apps/demo',
};

/** Compiler options of hosts that do not resolve modules like Node (Next.js apps: a bundler's). */
const HOST_OPTIONS = {
  'apps/examples/next': { module: 'esnext', moduleResolution: 'bundler' },
};

/** `{ host, readme, blocks: [{ line, code }] }` for every README with TypeScript in it. */
function collect() {
  const readmes = [{ readme: 'README.md', host: HOSTS['README.md'] }];
  for (const group of ['packages', 'apps', 'apps/examples']) {
    if (!existsSync(join(root, group))) continue;
    for (const dir of readdirSync(join(root, group)).sort()) {
      const readme = `${group}/${dir}/README.md`;
      if (existsSync(join(root, readme))) readmes.push({ readme, host: HOSTS[readme] ?? `${group}/${dir}` });
    }
  }
  const found = [];
  for (const { readme, host } of readmes) {
    const lines = readFileSync(join(root, readme), 'utf8').split('\n');
    const blocks = [];
    for (let i = 0; i < lines.length; i++) {
      if (!/^```(ts|typescript)\s*$/.test(lines[i])) continue;
      const start = i + 1;
      let end = start;
      while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
      if (end === lines.length) throw new Error(`${readme}:${i + 1}: unterminated code block`);
      blocks.push({ line: start + 1, code: lines.slice(start, end).join('\n') });
      i = end;
    }
    if (blocks.length > 0) found.push({ host, readme, blocks });
  }
  return found;
}

const only = process.argv.slice(2).map((d) => relative(root, resolve(d)));
const byHost = new Map();
for (const entry of collect()) {
  if (only.length > 0 && !only.includes(entry.host)) continue;
  byHost.set(entry.host, [...(byHost.get(entry.host) ?? []), entry]);
}

let failures = 0;
let checked = 0;
for (const [host, entries] of byHost) {
  const dir = join(root, host, SCRATCH);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  const origin = new Map(); // scratch file name -> { readme, line }
  try {
    for (const { readme, blocks } of entries) {
      for (const { line, code } of blocks) {
        const file = `block${origin.size}.ts`;
        origin.set(file, { readme, line });
        // `export {}` makes every block a module: top-level await works, names do not collide.
        writeFileSync(join(dir, file), `${code}\nexport {};\n`);
      }
    }
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: relative(dir, join(root, 'tsconfig.base.json')),
        compilerOptions: {
          noEmit: true,
          types: ['node'],
          // The NestJS examples use its decorators; nothing else is affected by the flag.
          experimentalDecorators: true,
          declaration: false,
          declarationMap: false,
          ...HOST_OPTIONS[host],
        },
        include: ['*.ts'],
      }),
    );
    const r = spawnSync('pnpm', ['exec', 'tsc', '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], {
      cwd: root,
      encoding: 'utf8',
    });
    checked += origin.size;
    if (r.status === 0) {
      console.log(`ok   ${host}: ${origin.size} block(s)`);
      continue;
    }
    failures++;
    console.log(`FAIL ${host}: ${origin.size} block(s)`);
    // Point each error at the README line, not the scratch file.
    for (const text of `${r.stdout}${r.stderr}`.split('\n')) {
      const m = /([^/\\\s]+\.ts)\((\d+),(\d+)\): (.*)$/.exec(text);
      const at = m && origin.get(m[1]);
      if (at) console.log(`  ${at.readme}:${at.line + Number(m[2]) - 1}:${m[3]} ${m[4]}`);
      else if (text.trim() !== '') console.log(`  ${text}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(`${checked} README example(s) in ${byHost.size} package(s), ${failures} package(s) failing`);
process.exit(failures > 0 ? 1 : 0);
