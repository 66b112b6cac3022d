#!/usr/bin/env node
// The one-way arrows between the published packages (README, "Packages"), checked on every
// package's src imports and its dependencies/peerDependencies/optionalDependencies:
//   core    → nothing but @noble/hashes (no other @tessera package, no framework, no client); `node:`
//             builtins only under src/node/ (the `/node` entry): the main entry is web-standard
//   kit     → core (plus vitest and its own helpers), never a store or an adapter
//   store   → core (plus its client), never an adapter, the kit or another store
//   adapter → core (plus its framework), never another adapter or a store
//   web     → the core's main entry only: no `node:` builtin, no `/node` entry (Bun, Deno, edge)
//   and no published package → @tessera/test-support (private, never published).
// `--root DIR` checks another tree; `--self-test` runs it on a fixture of known violations and
// fails unless exactly those are reported (so a check that silently passes everything fails).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function roleOf(name) {
  if (name === '@tessera/session-core') return 'core';
  if (name === '@tessera/session-testing') return 'kit';
  if (['@tessera/session-redis', '@tessera/session-postgres', '@tessera/session-memcached'].includes(name))
    return 'store';
  if (
    [
      '@tessera/session-hono',
      '@tessera/session-koa',
      '@tessera/session-express',
      '@tessera/session-nestjs',
      '@tessera/session-fastify',
    ].includes(name)
  )
    return 'adapter';
  if (name === '@tessera/session-web') return 'web';
  return undefined;
}

/** The package a specifier names (`@scope/name/sub` → `@scope/name`), or undefined for relative/builtin. */
function packageOf(spec) {
  if (spec.startsWith('.') || spec.startsWith('/')) return undefined;
  if (spec.startsWith('node:')) return spec;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const FRAMEWORKS = /^(hono|koa|express|fastify|fastify-plugin|@fastify\/.*|@nestjs\/.*|@hono\/.*)$/;
const STORE_CLIENTS = /^(ioredis|redis|pg|@electric-sql\/pglite|memcached|memjs)$/;

const article = (role) => `${role === 'adapter' ? 'an' : 'a'} ${role === 'web' ? 'web adapter' : role}`;

/**
 * Why `from` may not depend on `to`, or undefined when it may. `file` is the importing source
 * file relative to its package (undefined for a manifest dependency).
 */
function violation(fromName, fromRole, to, file) {
  if (to === fromName) return undefined;
  // Bun, Deno and edge runtimes load these: a `node:` import there fails at load time.
  if (to.startsWith('node:') && fromRole === 'core' && file !== undefined && !file.startsWith('src/node/'))
    return "the core's main entry is web-standard: Node-only code goes in src/node/ (the /node entry)";
  if (to.startsWith('node:') && fromRole === 'web')
    return 'the web adapter is web-standard: no Node builtins';
  if (to === 'node:child_process' && fromRole === 'kit') return 'the published kit starts no servers';
  if (to.startsWith('node:')) return undefined;
  if (FRAMEWORKS.test(to) && (fromRole === 'kit' || fromRole === 'store'))
    return `${article(fromRole)} imports no framework`;
  if (STORE_CLIENTS.test(to) && (fromRole === 'kit' || fromRole === 'adapter'))
    return `${article(fromRole)} imports no store client`;
  if (to === '@tessera/test-support') return 'the private test-support package is never published';
  const toRole = roleOf(to);
  if (fromRole === 'web' && (FRAMEWORKS.test(to) || STORE_CLIENTS.test(to)))
    return 'the web adapter imports no framework and no store client';
  // SPEC §1: the core may use small, well-kept libraries where they beat hand-written code.
  if (fromRole === 'core' && CORE_LIBRARIES.has(to.split('/').slice(0, 2).join('/'))) return undefined;
  if (fromRole === 'core')
    return 'the core depends on nothing (no framework, no store client, no other package)';
  if (to.startsWith('@tessera/') && toRole !== 'core')
    return `${article(fromRole)} depends on the core only, not ${article(toRole ?? 'workspace package')}`;
  return undefined;
}

/** What the core may import besides builtins: audited, dependency-free, every runtime. */
const CORE_LIBRARIES = new Set(['@noble/hashes']);

function* sourceFiles(dir) {
  for (const entry of readdirSync(dir)) {
    const file = join(dir, entry);
    if (statSync(file).isDirectory()) yield* sourceFiles(file);
    else if (/\.(m|c)?[jt]sx?$/.test(entry) && !/\.test\.[jt]sx?$/.test(entry)) yield file;
  }
}

function importsOf(text) {
  // Comments hold examples (`import { redisStore } from ...` in a JSDoc): not imports.
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specs = [];
  const re =
    /\bfrom\s*['"]([^'"]+)['"]|\bimport\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|\brequire\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of code.matchAll(re)) specs.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
  return specs;
}

export function check(root) {
  const problems = [];
  const dir = join(root, 'packages');
  for (const entry of readdirSync(dir).sort()) {
    const manifest = join(dir, entry, 'package.json');
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
    if (pkg.private) continue;
    const role = roleOf(pkg.name);
    if (!role) {
      problems.push(
        `${pkg.name}: a published package with no place in the package map (scripts/check-imports.mjs)`,
      );
      continue;
    }
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const dep of Object.keys(pkg[field] ?? {})) {
        const why = violation(pkg.name, role, dep);
        if (why) problems.push(`${pkg.name}: ${field} has ${dep} (${why})`);
      }
    }
    const src = join(dir, entry, 'src');
    if (!existsSync(src)) continue;
    for (const file of sourceFiles(src)) {
      const inPackage = relative(join(dir, entry), file).split('\\').join('/');
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        const to = packageOf(spec);
        const why =
          role === 'web' && spec.startsWith('@tessera/session-core/')
            ? "the web adapter uses the core's main entry only"
            : to && violation(pkg.name, role, to, inPackage);
        if (why) problems.push(`${pkg.name}: ${relative(root, file)} imports ${spec} (${why})`);
      }
    }
  }
  return problems;
}

const args = process.argv.slice(2);
if (args.includes('--self-test')) {
  const fixture = join(here, 'fixtures', 'check-imports');
  const expected = readFileSync(join(fixture, 'expected.txt'), 'utf8').trim().split('\n');
  const got = check(fixture);
  const missing = expected.filter((line) => !got.includes(line));
  const extra = got.filter((line) => !expected.includes(line));
  if (missing.length > 0 || extra.length > 0) {
    for (const line of missing) console.error(`check-imports self-test: not reported: ${line}`);
    for (const line of extra) console.error(`check-imports self-test: unexpected: ${line}`);
    process.exit(1);
  }
  console.log(`check-imports self-test: the fixture's ${got.length} violations are reported`);
} else {
  const at = args.indexOf('--root');
  const root = at >= 0 ? args[at + 1] : join(here, '..');
  const problems = check(root);
  for (const line of problems) console.error(`import direction: ${line}`);
  if (problems.length > 0) process.exit(1);
  console.log('import direction: every published package depends only on what the package map allows');
}
