// A tiny syntax highlighter for the file viewer: keywords, strings, comments
// and numbers of common languages, picked by file extension. It is meant to be
// light and fast, not exact.

/** TokenKind is how a piece of text is coloured ('' is plain). */
export type TokenKind = '' | 'kw' | 'str' | 'com' | 'num';

/** Token is a run of text of one kind, never spanning lines. */
export interface Token {
  kind: TokenKind;
  text: string;
}

interface Lang {
  keywords: Set<string>;
  line?: string[];
  block?: [string, string];
  quotes: string;
}

const words = (s: string) => new Set(s.split(/\s+/).filter(Boolean));

const C_LIKE = 'if else for while do switch case default break continue return goto struct union enum typedef const static void int char float double long short unsigned signed sizeof true false null';
const JS =
  'break case catch class const continue debugger default delete do else export extends finally for function if import in instanceof let new return super switch this throw try typeof var void while with yield async await of from as interface type enum implements private public protected readonly declare namespace true false null undefined';

const LANGS: Record<string, Lang> = {
  js: { keywords: words(JS), line: ['//'], block: ['/*', '*/'], quotes: '"\'`' },
  go: {
    keywords: words(
      'break case chan const continue default defer else fallthrough for func go goto if import interface map package range return select struct switch type var nil true false iota',
    ),
    line: ['//'],
    block: ['/*', '*/'],
    quotes: '"\'`',
  },
  py: {
    keywords: words(
      'and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield None True False self',
    ),
    line: ['#'],
    quotes: '"\'',
  },
  rs: {
    keywords: words(
      'as break const continue crate else enum extern false fn for if impl in let loop match mod move mut pub ref return self Self static struct super trait true type unsafe use where while async await dyn',
    ),
    line: ['//'],
    block: ['/*', '*/'],
    quotes: '"',
  },
  c: { keywords: words(C_LIKE + ' class namespace template typename public private protected virtual new delete this include define'), line: ['//'], block: ['/*', '*/'], quotes: '"\'' },
  java: {
    keywords: words(
      'abstract boolean break byte case catch char class const continue default do double else enum extends final finally float for if implements import instanceof int interface long new package private protected public return short static super switch this throw throws try void while true false null fun val var when object',
    ),
    line: ['//'],
    block: ['/*', '*/'],
    quotes: '"\'',
  },
  sh: {
    keywords: words('if then else elif fi for while do done case esac function in return local export exit'),
    line: ['#'],
    quotes: '"\'',
  },
  rb: { keywords: words('def end if elsif else unless while until do class module return yield nil true false self require'), line: ['#'], quotes: '"\'' },
  css: { keywords: words('important media import from to'), block: ['/*', '*/'], quotes: '"\'' },
  sql: {
    keywords: words(
      'select from where insert into values update set delete create table drop alter index join left right inner outer on and or not null as group by order limit primary key SELECT FROM WHERE INSERT INTO VALUES UPDATE SET DELETE CREATE TABLE DROP ALTER INDEX JOIN ON AND OR NOT NULL AS GROUP BY ORDER LIMIT PRIMARY KEY',
    ),
    line: ['--'],
    block: ['/*', '*/'],
    quotes: '\'"',
  },
  conf: { keywords: words('true false null yes no'), line: ['#'], quotes: '"\'' },
  json: { keywords: words('true false null'), quotes: '"' },
  html: { keywords: new Set(), block: ['<!--', '-->'], quotes: '"\'' },
};

const EXT: Record<string, string> = {
  js: 'js', mjs: 'js', cjs: 'js', jsx: 'js', ts: 'js', tsx: 'js', mts: 'js', cts: 'js', svelte: 'js', vue: 'js',
  go: 'go', py: 'py', rs: 'rs',
  c: 'c', h: 'c', cc: 'c', cpp: 'c', hpp: 'c', cxx: 'c', cs: 'java', m: 'c',
  java: 'java', kt: 'java', kts: 'java', scala: 'java', swift: 'java', dart: 'java', php: 'java',
  sh: 'sh', bash: 'sh', zsh: 'sh', fish: 'sh', dockerfile: 'sh', makefile: 'sh', mk: 'sh',
  rb: 'rb', css: 'css', scss: 'css', less: 'css', sql: 'sql',
  yaml: 'conf', yml: 'conf', toml: 'conf', ini: 'conf', cfg: 'conf', conf: 'conf', env: 'conf',
  json: 'json', jsonc: 'js', html: 'html', htm: 'html', xml: 'html', svg: 'html', md: 'html',
};

/** languageOf picks the language of a path by extension (or name, for Makefile and Dockerfile); null is plain text. */
export function languageOf(path: string): string | null {
  const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  const dot = name.lastIndexOf('.');
  const ext = dot >= 0 ? name.slice(dot + 1) : name;
  return EXT[ext] ?? null;
}

const isWordStart = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === '$';
const isWord = (c: string) => isWordStart(c) || (c >= '0' && c <= '9');
const isDigit = (c: string) => c >= '0' && c <= '9';

/**
 * highlight splits text into lines of tokens. Comments and strings may span
 * lines (block comments, template and triple-quoted strings); each line gets
 * its own tokens.
 */
export function highlight(text: string, lang: string | null): Token[][] {
  const L = lang ? LANGS[lang] : undefined;
  const lines: Token[][] = [[]];
  const push = (kind: TokenKind, s: string) => {
    // Split on newlines so no token spans lines.
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
  if (!L) {
    push('', text);
    return lines;
  }
  const n = text.length;
  let i = 0;
  let plain = 0; // start of the pending plain run
  const flush = (to: number) => {
    if (to > plain) push('', text.slice(plain, to));
  };
  while (i < n) {
    const c = text[i];
    if (L.line && L.line.some((m) => text.startsWith(m, i))) {
      flush(i);
      const end = text.indexOf('\n', i);
      const to = end < 0 ? n : end;
      push('com', text.slice(i, to));
      i = plain = to;
    } else if (L.block && text.startsWith(L.block[0], i)) {
      flush(i);
      const end = text.indexOf(L.block[1], i + L.block[0].length);
      const to = end < 0 ? n : end + L.block[1].length;
      push('com', text.slice(i, to));
      i = plain = to;
    } else if (L.quotes.includes(c)) {
      flush(i);
      const triple = lang === 'py' && text.startsWith(c + c + c, i);
      let j = i + (triple ? 3 : 1);
      for (; j < n; j++) {
        const d = text[j];
        if (d === '\\') {
          j++;
          continue;
        }
        if (triple ? text.startsWith(c + c + c, j) : d === c) {
          j += triple ? 3 : 1;
          break;
        }
        // Ordinary quotes end at the line; backquotes and triple quotes may span lines.
        if (d === '\n' && !triple && c !== '`') break;
      }
      const to = Math.min(j, n);
      push('str', text.slice(i, to));
      i = plain = to;
    } else if (isWordStart(c)) {
      let j = i + 1;
      while (j < n && isWord(text[j])) j++;
      const w = text.slice(i, j);
      if (L.keywords.has(w)) {
        flush(i);
        push('kw', w);
        plain = j;
      }
      i = j;
    } else if (isDigit(c) && (i === 0 || !isWord(text[i - 1]))) {
      flush(i);
      let j = i + 1;
      while (j < n && (isWord(text[j]) || text[j] === '.')) j++;
      push('num', text.slice(i, j));
      i = plain = j;
    } else {
      i++;
    }
  }
  flush(n);
  return lines;
}
