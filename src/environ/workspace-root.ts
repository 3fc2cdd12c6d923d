import { dirname, join, relative, sep } from 'node:path';
import { type InventoryFs, readCappedFile, readPackageJson } from './inventory-fs.js';

/** The real root of the npm, yarn or pnpm workspace nearest above the app if it includes the app, else the app root. */
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

/** The `packages` of a pnpm-workspace.yaml (block or flow), `['**']` if none; one key, so no YAML parser. */
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

const orEverything = (patterns: string[]) => (patterns.length > 0 ? patterns : ['**']);
const stripComment = (text: string) => text.replace(/(^|\s)#.*$/, '');
const unquote = (text: string) => text.trim().replace(/^(['"])(.*)\1$/, '$2');
const escapeRegExp = (text: string) => text.replace(/[\\^$.*+?|()[\]{}]/g, '\\$&');

/** Whether `member` (relative, with `/`) matches a pattern and no `!pattern`; globs `*`, `**`, `?`, `{a,b}`, `[a-z]`. */
export function isWorkspaceMember(member: string, patterns: readonly string[]): boolean {
  let included = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).trim().replace(/^\.\//, '').replace(/\/+$/, '');
    if (!globToRegExp(pattern)?.test(member)) continue;
    if (negated) return false;
    included = true;
  }
  return included;
}

/** The pattern as a regular expression; `null` for a class none can hold (`[z-a]`), which matches nothing. */
function globToRegExp(pattern: string): RegExp | null {
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
      // `{apps,libs}`: one of the words (no nesting).
      const end = pattern.indexOf('}', i);
      const words = pattern.slice(i + 1, end).split(',');
      source += `(?:${words.map(escapeRegExp).join('|')})`;
      i = end;
    } else if (char === '[' && /^\[!?[^\]/]+\]/.test(pattern.slice(i))) {
      // `[a-z]`, `[!0-9]`: a class within the segment.
      const end = pattern.indexOf(']', i);
      const body = pattern.slice(i + 1, end);
      source += `[${body.replace(/^!/, '^').replace(/[\\\]]/g, '\\$&')}]`;
      i = end;
    } else source += escapeRegExp(char);
  }
  try {
    return new RegExp(`^${source}$`);
  } catch {
    return null;
  }
}
