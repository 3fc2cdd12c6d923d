import { dirname, join, relative, sep } from 'node:path';
import type { InventoryFs } from './inventory-fs.js';
import { readCappedFile, readPackageJson } from './package-manifest.js';

/**
 * The real root of the npm, yarn or pnpm workspace the app at `realAppRoot` belongs to, else the app
 * root itself. It climbs from the app's parent to the nearest folder that declares a workspace
 * (`pnpm-workspace.yaml`, or `workspaces` in its package.json) and takes it only if the declared
 * patterns include the app: the package manager installs the app's libraries there (hoisted, or in
 * pnpm's `.pnpm` store). A declaration that does not include the app ends the climb, so the
 * inventory never reaches past the workspace that owns the app.
 */
export async function findWorkspaceRoot(fs: InventoryFs, realAppRoot: string): Promise<string> {
  for (let below = realAppRoot, dir = dirname(realAppRoot); dir !== below; below = dir, dir = dirname(dir)) {
    const patterns = await declaredWorkspaces(fs, dir);
    if (patterns === null) continue;
    const member = relative(dir, realAppRoot).split(sep).join('/');
    return isWorkspaceMember(member, patterns) ? dir : realAppRoot;
  }
  return realAppRoot;
}

/** The workspace patterns `dir` declares, or `null` when it declares none (or its files cannot be read). */
async function declaredWorkspaces(fs: InventoryFs, dir: string): Promise<string[] | null> {
  const yaml = await readCappedFile(fs, join(dir, 'pnpm-workspace.yaml'), dir, 'pnpm-workspace.yaml');
  if (typeof yaml !== 'string') return pnpmWorkspacePackages(yaml.toString('utf8'));
  const json = await readPackageJson(fs, join(dir, 'package.json'), dir);
  if (typeof json === 'string') return null;
  const { workspaces } = json as { workspaces?: unknown };
  // npm and yarn: an array of patterns; yarn also `{ packages: [...] }`.
  const list = Array.isArray(workspaces) ? workspaces : (workspaces as { packages?: unknown } | null)?.packages;
  return Array.isArray(list) ? list.filter((pattern): pattern is string => typeof pattern === 'string') : null;
}

/**
 * The `packages` list of a pnpm-workspace.yaml, as a block (`- 'apps/*'` lines) or a flow sequence
 * (`packages: [apps/*, libs/*]`, over one line or several); `['**']` when the file names none (a
 * workspace of every folder below it, as pnpm long read it). Only this one key is read, so no YAML
 * parser is needed.
 */
export function pnpmWorkspacePackages(text: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const key = /^(["']?)packages\1\s*:(.*)$/.exec(lines[index]);
    if (!key) continue;
    let rest = stripComment(key[2]).trim();
    if (rest.startsWith('[')) {
      // A flow sequence may span lines: read up to its closing bracket.
      while (!rest.includes(']') && index + 1 < lines.length) rest += ' ' + stripComment(lines[++index]).trim();
      const items = rest.slice(1, rest.includes(']') ? rest.indexOf(']') : undefined).split(',');
      return orEverything(items.map(unquote).filter(Boolean));
    }
    const patterns: string[] = [];
    for (const line of lines.slice(index + 1)) {
      const item = /^\s*-\s*(.*)$/.exec(line);
      if (item) patterns.push(unquote(stripComment(item[1])));
      else if (/^\S/.test(line) && !line.startsWith('#')) break;
    }
    return orEverything(patterns.filter(Boolean));
  }
  return ['**'];
}

function orEverything(patterns: string[]): string[] {
  return patterns.length > 0 ? patterns : ['**'];
}

function stripComment(text: string): string {
  return text.replace(/(^|\s)#.*$/, '');
}

function unquote(text: string): string {
  return text.trim().replace(/^(['"])(.*)\1$/, '$2');
}

/**
 * Whether the folder `member` (relative to the workspace root, with `/`) matches the workspace's
 * patterns: one pattern includes it and no `!pattern` excludes it. Patterns are globs: `*` within
 * a segment, `**` across segments, `?` one character, `{a,b}` one of the words, `[a-z]` a class.
 */
export function isWorkspaceMember(member: string, patterns: readonly string[]): boolean {
  let included = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).trim().replace(/^\.\//, '').replace(/\/+$/, '');
    let matches: boolean;
    try {
      matches = globToRegExp(pattern).test(member);
    } catch {
      matches = false; // A class no regular expression can hold (`[z-a]`) matches nothing.
    }
    if (!matches) continue;
    if (negated) return false;
    included = true;
  }
  return included;
}

function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '*' && pattern[i + 1] === '*') {
      const slash = pattern[i + 2] === '/';
      source += slash ? '(?:[^/]+/)*' : '.*';
      i += slash ? 2 : 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else if (char === '{' && pattern.indexOf('}', i) > i) {
      // `{apps,libs}`: one of the comma-separated words (no nesting).
      const end = pattern.indexOf('}', i);
      source += `(?:${pattern
        .slice(i + 1, end)
        .split(',')
        .map(escapeRegExp)
        .join('|')})`;
      i = end;
    } else if (char === '[' && /^\[!?[^\]/]+\]/.test(pattern.slice(i))) {
      // `[a-z]`, `[!0-9]`: a character class within the segment.
      const end = pattern.indexOf(']', i);
      const body = pattern
        .slice(i + 1, end)
        .replace(/^!/, '^')
        .replace(/[\\\]]/g, '\\$&');
      source += `[${body}]`;
      i = end;
    } else source += escapeRegExp(char);
  }
  return new RegExp(`^${source}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?|()[\]{}]/g, '\\$&');
}
