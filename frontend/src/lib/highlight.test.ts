import { describe, expect, it } from 'vitest';
import { highlight, languageOf } from './highlight';

describe('highlight', () => {
  it('picks languages by extension', () => {
    expect(languageOf('src/a.ts')).toBe('js');
    expect(languageOf('main.go')).toBe('go');
    expect(languageOf('Makefile')).toBe('sh');
    expect(languageOf('notes')).toBeNull();
  });

  it('marks keywords, strings, comments and numbers, line by line', () => {
    const lines = highlight('const x = "a"; // hi\n/* one\ntwo */ return 42', 'js');
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

  it('keeps plain text plain', () => {
    expect(highlight('if "x"\n', null)).toEqual([[{ kind: '', text: 'if "x"' }], []]);
  });
});
