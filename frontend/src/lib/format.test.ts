import { describe, expect, it } from 'vitest';
import type { DockerStatus, ProviderStatus } from './api';
import {
  dataDirSourceText,
  dockerStatusText,
  formatTimestamp,
  providerCountText,
  shortCommit,
  truncatePath,
  versionText,
} from './format';

const docker = (over: Partial<DockerStatus>): DockerStatus => ({
  host: 'unix:///var/run/docker.sock',
  reachable: true,
  version: '27.5.1',
  apiVersion: '1.47',
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
  baseUrl: '',
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
