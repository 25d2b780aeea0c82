import { describe, expect, it } from 'vitest';
import type { DockerStatus, ProviderStatus } from './api';
import {
  costText,
  countText,
  dataDirSourceText,
  durationText,
  excerpt,
  plural,
  relativeTime,
  dockerStatusText,
  formatTimestamp,
  keySourceText,
  providerCountText,
  shortCommit,
  truncatePath,
  versionText,
} from './format';

const docker = (over: Partial<DockerStatus>): DockerStatus => ({
  host: 'unix:///var/run/docker.sock',
  reachable: true,
  version: '27.5.1',
  api_version: '1.47',
  os: 'linux',
  arch: 'amd64',
  error: '',
  ...over,
});

const provider = (name: string, configured: boolean): ProviderStatus => ({
  name,
  label: name,
  configured,
  source: configured ? name.toUpperCase() + '_API_KEY' : '',
  base_url: '',
});

describe('dockerStatusText', () => {
  it.each([
    { name: 'reachable', in: docker({}), want: 'Docker 27.5.1' },
    { name: 'unreachable', in: docker({ reachable: false, version: '', error: 'dial unix: no such file' }), want: 'Docker unreachable' },
    { name: 'unreachable ignores a stale version', in: docker({ reachable: false }), want: 'Docker unreachable' },
    { name: 'reachable without version', in: docker({ version: '' }), want: 'Docker (unknown version)' },
  ])('$name -> $want', ({ in: input, want }) => {
    expect(dockerStatusText(input)).toBe(want);
  });
});

describe('providerCountText', () => {
  it.each([
    { name: 'none known', in: [], want: 'No provider keys' },
    { name: 'none configured', in: [provider('anthropic', false), provider('openai', false)], want: 'No provider keys' },
    { name: 'one of two', in: [provider('anthropic', true), provider('openai', false)], want: '1 provider' },
    { name: 'three', in: [provider('a', true), provider('b', true), provider('c', true)], want: '3 providers' },
  ])('$name -> $want', ({ in: input, want }) => {
    expect(providerCountText(input)).toBe(want);
  });
});

describe('versionText', () => {
  it.each([
    { version: '0.1.0', commit: 'abc1234def5678', want: 'v0.1.0 (abc1234)' },
    { version: '0.1.0', commit: '', want: 'v0.1.0' },
    { version: 'dev', commit: 'abc1234', want: 'dev (abc1234)' },
    { version: '', commit: '', want: 'dev' },
  ])('($version, $commit) -> $want', ({ version, commit, want }) => {
    expect(versionText(version, commit)).toBe(want);
  });

  it('shortCommit keeps 7 characters', () => {
    expect(shortCommit('0123456789')).toBe('0123456');
    expect(shortCommit('')).toBe('');
  });
});

describe('truncatePath', () => {
  it.each([
    { name: 'short path unchanged', path: '/home/ana/.corral', max: 40, want: '/home/ana/.corral' },
    { name: 'exactly max unchanged', path: '/abcdefghij', max: 11, want: '/abcdefghij' },
    {
      name: 'keeps head and whole tail segments',
      path: '/home/ana/projects/some/deeply/nested/place/.local/share/corral',
      max: 32,
      want: '/home…/place/.local/share/corral',
    },
    {
      name: 'windows path',
      path: 'C:\\Users\\ana\\AppData\\Roaming\\Corral\\data',
      max: 24,
      want: 'C:…\\Roaming\\Corral\\data',
    },
    {
      name: 'one long segment is cut at the front',
      path: '/' + 'x'.repeat(60),
      max: 20,
      want: '…' + 'x'.repeat(19),
    },
  ])('$name', ({ path, max, want }) => {
    const got = truncatePath(path, max);
    expect(got).toBe(want);
    expect(got.length).toBeLessThanOrEqual(max);
  });

  it('never exceeds max and always ends with the last segment', () => {
    const path = '/var/lib/corral/instances/0123456789abcdef/state';
    for (let max = 5; max <= path.length; max++) {
      const got = truncatePath(path, max);
      expect(got.length, `max ${max}: ${got}`).toBeLessThanOrEqual(max);
      if (max >= 12) expect(got.endsWith('state'), `max ${max}: ${got}`).toBe(true);
    }
  });
});

describe('dataDirSourceText', () => {
  it.each([
    { in: 'flag', want: 'set by command-line flag' },
    { in: 'CORRAL_HOME', want: 'set by CORRAL_HOME' },
    { in: 'default', want: 'default location' },
  ] as const)('$in', ({ in: input, want }) => {
    expect(dataDirSourceText(input)).toBe(want);
  });
});

describe('formatTimestamp', () => {
  it('returns input that does not parse', () => {
    expect(formatTimestamp('not a time')).toBe('not a time');
  });

  it('formats an RFC 3339 time with the year and seconds', () => {
    const got = formatTimestamp('2026-11-23T10:30:05Z', 'en-GB');
    expect(got).toContain('2026');
    expect(got).toMatch(/\d{2}:\d{2}:\d{2}/);
  });
});

describe('relativeTime', () => {
  const now = Date.parse('2026-11-23T12:00:00Z');
  it.each([
    { t: '2026-11-23T11:59:40Z', want: 'just now' },
    { t: '2026-11-23T11:58:00Z', want: '2m ago' },
    { t: '2026-11-23T09:00:00Z', want: '3h ago' },
    { t: '2026-11-20T12:00:00Z', want: '3d ago' },
    { t: 'not a time', want: '' },
  ])('$t -> $want', ({ t, want }) => {
    expect(relativeTime(t, now)).toBe(want);
  });

  it('gives the date after a week', () => {
    expect(relativeTime('2026-10-01T12:00:00Z', now, 'en-US')).toBe('Oct 1');
  });
});

describe('durationText, countText, costText, plural, excerpt', () => {
  it.each([
    [850, '850ms'],
    [4200, '4.2s'],
    [42_000, '42s'],
    [185_000, '3m 05s'],
    [3_720_000, '1h 02m'],
    [-1, ''],
  ])('durationText(%d) = %s', (ms, want) => {
    expect(durationText(ms)).toBe(want);
  });

  it.each([
    [950, '950'],
    [1200, '1.2k'],
    [2000, '2k'],
    [34_567, '35k'],
    [1_500_000, '1.5M'],
  ])('countText(%d) = %s', (n, want) => {
    expect(countText(n)).toBe(want);
  });

  it('costText', () => {
    expect([costText(0), costText(0.004), costText(0.42), costText(12.3)]).toEqual(['$0', '<$0.01', '$0.42', '$12.30']);
  });

  it('plural and excerpt', () => {
    expect([plural(1, 'step'), plural(2, 'step'), plural(2, 'match', 'matches')]).toEqual(['1 step', '2 steps', '2 matches']);
    expect(excerpt('  a   b\n c ', 10)).toBe('a b c');
    expect(excerpt('abcdefghijkl', 6)).toBe('abcde…');
  });
});

describe('keySourceText', () => {
  it.each([
    ['ANTHROPIC_API_KEY', 'ANTHROPIC_API_KEY'],
    ['keychain', 'saved in the OS keychain'],
    ['file', 'saved in the credentials file'],
    ['', '—'],
  ])('%s -> %s', (source, want) => {
    expect(keySourceText(source)).toBe(want);
  });
});
