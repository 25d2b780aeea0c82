import { describe, expect, it } from 'vitest';
import { EMPTY_ROUTE, formatRoute, parseRoute, sameView, type Route } from './route';

describe('routes', () => {
  it.each<{ name: string; route: Route; hash: string }>([
    { name: 'nothing', route: EMPTY_ROUTE, hash: '' },
    { name: 'a session', route: { ...EMPTY_ROUTE, session: 'ses_1' }, hash: '#/s/ses_1' },
    { name: 'a run', route: { session: 'ses_1', run: 'run_2', tab: null, step: null }, hash: '#/s/ses_1/r/run_2' },
    { name: 'a tab', route: { session: 'ses_1', run: 'run_2', tab: 'timeline', step: null }, hash: '#/s/ses_1/r/run_2/timeline' },
    { name: 'a step', route: { session: 'ses_1', run: 'run_2', tab: 'trace', step: 42 }, hash: '#/s/ses_1/r/run_2/trace/42' },
  ])('$name round-trips', ({ route, hash }) => {
    expect(formatRoute(route)).toBe(hash);
    expect(parseRoute(hash)).toEqual(route);
  });

  it.each([
    { name: 'garbage', hash: '#hello', want: EMPTY_ROUTE },
    { name: 'bad session id', hash: '#/s/<script>/r/x', want: EMPTY_ROUTE },
    { name: 'unknown tab', hash: '#/s/a/r/b/settings/3', want: { session: 'a', run: 'b', tab: null, step: null } },
    { name: 'bad step', hash: '#/s/a/r/b/trace/-1', want: { session: 'a', run: 'b', tab: 'trace', step: null } },
    { name: 'console has no step', hash: '#/s/a/r/b/console/3', want: { session: 'a', run: 'b', tab: 'console', step: null } },
    { name: 'broken escape', hash: '#/s/%E0%A4%A/r/b', want: EMPTY_ROUTE },
  ])('reads $name as far as it makes sense', ({ hash, want }) => {
    expect(parseRoute(hash)).toEqual(want);
  });

  it('drops the step of the console', () => {
    expect(formatRoute({ session: 'a', run: 'b', tab: 'console', step: 4 })).toBe('#/s/a/r/b/console');
  });

  it('compares views without the step', () => {
    const a: Route = { session: 'a', run: 'b', tab: 'trace', step: 1 };
    expect(sameView(a, { ...a, step: 2 })).toBe(true);
    expect(sameView(a, { ...a, tab: 'timeline' })).toBe(false);
  });
});
