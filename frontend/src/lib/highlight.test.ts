import { describe, expect, it } from 'vitest';
import { highlight, isLoaded, languageOf, loadLanguage } from './highlight';

describe('languageOf', () => {
  it.each([
    { path: 'src/a.ts', want: 'typescript' },
    { path: 'main.go', want: 'go' },
    { path: 'Makefile', want: 'makefile' },
    { path: 'tests/test_x.py', want: 'python' },
    { path: 'notes', want: null },
  ])('$path', ({ path, want }) => {
    expect(languageOf(path)).toBe(want);
  });
});

describe('highlight', () => {
  it('shows a language as plain text until its grammar is loaded', async () => {
    expect(isLoaded('rust')).toBe(false);
    expect(highlight('fn main() {}', 'rust')).toEqual([[{ kind: '', text: 'fn main() {}' }]]);
    expect(await loadLanguage('rust')).toBe(true);
    expect(highlight('fn main() {}', 'rust')[0][0]).toEqual({ kind: 'kw', text: 'fn' });
  });

  it('does not load unknown languages', async () => {
    expect(await loadLanguage('cobol-2077')).toBe(false);
    expect(await loadLanguage(null)).toBe(false);
  });

  it('marks keywords, strings, comments and numbers, line by line', async () => {
    await loadLanguage('javascript');
    const lines = highlight('const x = "a"; // hi\n/* one\ntwo */ return 42', 'javascript');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toEqual([
      { kind: 'kw', text: 'const' },
      { kind: '', text: ' x = ' },
      { kind: 'str', text: '"a"' },
      { kind: '', text: '; ' },
      { kind: 'com', text: '// hi' },
    ]);
    expect(lines[1]).toEqual([{ kind: 'com', text: '/* one' }]);
    expect(lines[2]).toEqual([
      { kind: 'com', text: 'two */' },
      { kind: '', text: ' ' },
      { kind: 'kw', text: 'return' },
      { kind: '', text: ' ' },
      { kind: 'num', text: '42' },
    ]);
  });

  it('knows a Python traceback-worthy file: triple-quoted strings span lines', async () => {
    await loadLanguage('python');
    const lines = highlight('def f():\n    """doc\n    more"""\n    return None', 'python');
    expect(lines[0][0]).toEqual({ kind: 'kw', text: 'def' });
    expect(lines[1]).toContainEqual({ kind: 'str', text: '"""doc' });
    expect(lines[2]).toContainEqual({ kind: 'str', text: '    more"""' });
  });

  it('keeps plain text plain', () => {
    expect(highlight('if "x"\n', null)).toEqual([[{ kind: '', text: 'if "x"' }], []]);
  });

  describe('gives back the exact text, markup included, as text', () => {
    it.each([
      { name: 'html in a string', lang: 'javascript', src: 'const s = "<script>alert(1)</script>";' },
      { name: 'entities', lang: 'javascript', src: "let a = '&amp;' + \"&lt;\" // <b>'q'</b>" },
      { name: 'markup file', lang: 'xml', src: '<img src=x onerror="alert(1)">\n<span class="hljs-keyword">x</span>' },
      { name: 'span lookalike', lang: 'python', src: 'x = "</span><span class=\\"a\\">"' },
    ])('$name', async ({ lang, src }) => {
      await loadLanguage(lang);
      const lines = highlight(src, lang);
      expect(lines.map((l) => l.map((t) => t.text).join('')).join('\n')).toBe(src);
    });
  });
});
