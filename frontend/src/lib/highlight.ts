// Syntax highlighting for the file viewer and diffs, by highlight.js: real
// grammars instead of a keyword list. Only the core is in the main bundle;
// each language is its own chunk, loaded the first time a file of that
// language is shown (loadLanguage), so a session that never opens a Rust file
// never downloads the Rust grammar. Until its grammar is there, a file shows
// as plain text.
//
// highlight.js returns HTML with its text escaped and only <span class="hljs-…">
// tags; it is turned back into tokens here (never given to {@html}), so the
// components render text nodes and a file's content cannot become markup.

import hljs from 'highlight.js/lib/core';
import type { LanguageFn } from 'highlight.js';

/** TokenKind is how a piece of text is coloured ('' is plain). */
export type TokenKind = '' | 'kw' | 'str' | 'com' | 'num' | 'fn' | 'type' | 'attr' | 'meta';

/** Token is a run of text of one kind, never spanning lines. */
export interface Token {
  kind: TokenKind;
  text: string;
}

type Loader = () => Promise<{ default: LanguageFn }>;

// One dynamic import per grammar, spelled out so the bundler makes one chunk each.
const LOADERS: Record<string, Loader> = {
  bash: () => import('highlight.js/lib/languages/bash'),
  c: () => import('highlight.js/lib/languages/c'),
  cpp: () => import('highlight.js/lib/languages/cpp'),
  csharp: () => import('highlight.js/lib/languages/csharp'),
  css: () => import('highlight.js/lib/languages/css'),
  diff: () => import('highlight.js/lib/languages/diff'),
  dockerfile: () => import('highlight.js/lib/languages/dockerfile'),
  go: () => import('highlight.js/lib/languages/go'),
  ini: () => import('highlight.js/lib/languages/ini'),
  java: () => import('highlight.js/lib/languages/java'),
  javascript: () => import('highlight.js/lib/languages/javascript'),
  json: () => import('highlight.js/lib/languages/json'),
  kotlin: () => import('highlight.js/lib/languages/kotlin'),
  lua: () => import('highlight.js/lib/languages/lua'),
  makefile: () => import('highlight.js/lib/languages/makefile'),
  markdown: () => import('highlight.js/lib/languages/markdown'),
  php: () => import('highlight.js/lib/languages/php'),
  python: () => import('highlight.js/lib/languages/python'),
  ruby: () => import('highlight.js/lib/languages/ruby'),
  rust: () => import('highlight.js/lib/languages/rust'),
  scala: () => import('highlight.js/lib/languages/scala'),
  scss: () => import('highlight.js/lib/languages/scss'),
  sql: () => import('highlight.js/lib/languages/sql'),
  swift: () => import('highlight.js/lib/languages/swift'),
  typescript: () => import('highlight.js/lib/languages/typescript'),
  xml: () => import('highlight.js/lib/languages/xml'),
  yaml: () => import('highlight.js/lib/languages/yaml'),
};

const EXT: Record<string, string> = {
  js: 'javascript', mjs: 'javascript', cjs: 'javascript', jsx: 'javascript',
  ts: 'typescript', tsx: 'typescript', mts: 'typescript', cts: 'typescript', svelte: 'xml', vue: 'xml',
  go: 'go', py: 'python', pyi: 'python', rs: 'rust',
  c: 'c', h: 'c', cc: 'cpp', cpp: 'cpp', hpp: 'cpp', cxx: 'cpp', cs: 'csharp', m: 'c',
  java: 'java', kt: 'kotlin', kts: 'kotlin', scala: 'scala', swift: 'swift', php: 'php', lua: 'lua',
  sh: 'bash', bash: 'bash', zsh: 'bash', fish: 'bash', dockerfile: 'dockerfile', makefile: 'makefile', mk: 'makefile',
  rb: 'ruby', css: 'css', scss: 'scss', less: 'scss', sql: 'sql',
  yaml: 'yaml', yml: 'yaml', toml: 'ini', ini: 'ini', cfg: 'ini', conf: 'ini', env: 'bash',
  json: 'json', jsonc: 'json', html: 'xml', htm: 'xml', xml: 'xml', svg: 'xml', md: 'markdown', diff: 'diff', patch: 'diff',
};

/** languageOf picks the highlight.js language of a path by extension (or name, for Makefile and Dockerfile); null is plain text. */
export function languageOf(path: string): string | null {
  const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  const dot = name.lastIndexOf('.');
  const ext = dot >= 0 ? name.slice(dot + 1) : name;
  return EXT[ext] ?? null;
}

const loading = new Map<string, Promise<boolean>>();

/** loadLanguage fetches and registers a language's grammar once; it resolves false for an unknown language or a failed load. */
export function loadLanguage(lang: string | null): Promise<boolean> {
  if (!lang || !LOADERS[lang]) return Promise.resolve(false);
  let p = loading.get(lang);
  if (!p) {
    p = LOADERS[lang]()
      .then((m) => {
        hljs.registerLanguage(lang, m.default);
        return true;
      })
      .catch(() => {
        loading.delete(lang); // a later view may try again
        return false;
      });
    loading.set(lang, p);
  }
  return p;
}

/** isLoaded reports whether lang's grammar is registered, so highlight colours it. */
export function isLoaded(lang: string | null): boolean {
  return !!lang && hljs.getLanguage(lang) !== undefined;
}

// Files larger than this are shown plain: highlighting them would stall the view.
const MAX_HIGHLIGHT = 512 * 1024;

const KINDS: Record<string, TokenKind> = {
  keyword: 'kw', literal: 'kw', built_in: 'type', type: 'type', class: 'type',
  string: 'str', regexp: 'str', char: 'str', symbol: 'str', subst: '', template: 'str',
  comment: 'com', doc: 'com', quote: 'com',
  number: 'num',
  title: 'fn', function: 'fn', section: 'fn', selector: 'fn', name: 'fn', tag: 'fn',
  attr: 'attr', attribute: 'attr', property: 'attr', variable: 'attr', params: '', operator: '',
  meta: 'meta', addition: 'str', deletion: 'kw', bullet: 'kw', link: 'str', emphasis: '', strong: '',
};

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#x27;': "'", '&#39;': "'" };
const PIECE = /<span class="([^"]*)">|<\/span>|[^<]+/g;

/**
 * highlight splits text into lines of tokens. Comments and strings may span
 * lines (block comments, template and triple-quoted strings); each line gets
 * its own tokens. A language whose grammar is not loaded yet is plain text.
 */
export function highlight(text: string, lang: string | null): Token[][] {
  const lines: Token[][] = [[]];
  const push = (kind: TokenKind, s: string) => {
    let from = 0;
    for (;;) {
      const nl = s.indexOf('\n', from);
      const part = nl < 0 ? s.slice(from) : s.slice(from, nl);
      if (part) {
        const line = lines[lines.length - 1];
        const last = line[line.length - 1];
        if (last && last.kind === kind) last.text += part;
        else line.push({ kind, text: part });
      }
      if (nl < 0) break;
      lines.push([]);
      from = nl + 1;
    }
  };
  if (!isLoaded(lang) || text.length > MAX_HIGHLIGHT) {
    push('', text);
    return lines;
  }
  const html = hljs.highlight(text, { language: lang!, ignoreIllegals: true }).value;
  const stack: TokenKind[] = [''];
  for (const m of html.matchAll(PIECE)) {
    if (m[1] !== undefined) {
      const scope = m[1].split(/\s+/)[0].replace(/^hljs-/, '');
      const kind = KINDS[scope];
      stack.push(kind === undefined || (kind === '' && scope !== 'subst') ? stack[stack.length - 1] : kind);
    } else if (m[0] === '</span>') {
      if (stack.length > 1) stack.pop();
    } else {
      push(stack[stack.length - 1], m[0].replace(/&(?:amp|lt|gt|quot|#x27|#39);/g, (e) => ENTITIES[e]));
    }
  }
  return lines;
}
