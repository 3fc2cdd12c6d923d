// Checks the links of README.md and docs/*.md: a relative file must exist, and an `#anchor` must be
// the slug of a heading of its target (GitHub's rule). Also fails when README.md does not link a
// docs page, since the README is the only way in. Run by `npm run lint`; exits 1 listing each bad link.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const docs = join(root, 'docs');
const files = [
  join(root, 'README.md'),
  ...(existsSync(docs) ? readdirSync(docs).filter((name) => name.endsWith('.md')) : []).map((name) => join(docs, name)),
];

/** The text with fenced code blocks and inline code blanked out, newlines kept (so line numbers hold). */
function prose(text) {
  const blank = (match) => match.replace(/[^\n]/g, ' ');
  return text.replace(/^ {0,3}(```|~~~)[^\n]*\n[\s\S]*?^ {0,3}\1[^\n]*$/gm, blank).replace(/`[^`]*`/g, blank);
}

/** GitHub's anchor for a heading: rendered text, lowercased, punctuation dropped, spaces to `-`. */
function slug(heading) {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link shows its text
    .replace(/<[^>]+>/g, '') // inline HTML shows nothing
    .replace(/[*`]|(^|\W)_+|_+(?=\W|$)/g, '$1') // emphasis and code markers
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

const anchorCache = new Map();
/** Every anchor of a markdown file: its headings' slugs, a repeated one suffixed `-1`, `-2`… */
function anchorsOf(file) {
  if (!anchorCache.has(file)) {
    const seen = new Map();
    const anchors = new Set();
    for (const line of prose(readFileSync(file, 'utf8')).split('\n')) {
      const heading = /^ {0,3}#{1,6}\s+(.*?)(\s+#+)?\s*$/.exec(line);
      if (!heading) continue;
      const base = slug(heading[1]);
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      anchors.add(count ? `${base}-${count}` : base);
    }
    anchorCache.set(file, anchors);
  }
  return anchorCache.get(file);
}

const problems = [];
const linkedFromReadme = new Set();
for (const file of files) {
  const text = prose(readFileSync(file, 'utf8'));
  const where = (index) => `${relative(root, file)}:${text.slice(0, index).split('\n').length}`;
  for (const match of text.matchAll(/\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = match[1];
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: and the like
    const [path, anchor] = target.split('#', 2);
    const dest = path ? resolve(dirname(file), decodeURIComponent(path)) : file;
    if (!existsSync(dest)) {
      problems.push(`${where(match.index)}: ${target}: no file ${relative(root, dest)}`);
      continue;
    }
    if (file.endsWith('README.md') && dirname(dest) === docs) linkedFromReadme.add(dest);
    if (anchor === undefined) continue;
    if (!dest.endsWith('.md') || statSync(dest).isDirectory()) {
      problems.push(`${where(match.index)}: ${target}: an anchor into a file that is not markdown`);
    } else if (!anchorsOf(dest).has(decodeURIComponent(anchor))) {
      problems.push(
        `${where(match.index)}: ${target}: no heading of ${relative(root, dest)} has the anchor #${anchor}`,
      );
    }
  }
}
for (const file of files.slice(1)) {
  if (!linkedFromReadme.has(file)) problems.push(`README.md: does not link ${relative(root, file)}`);
}

if (problems.length) {
  console.error(`check-doc-links: ${problems.length} broken link(s)\n${problems.join('\n')}`);
  process.exit(1);
}
console.log(`check-doc-links: every link of ${files.length} file(s) resolves`);
