import { describe, expect, it, vi } from 'vitest';
import { notifyWaiting, type NotifyEnv } from './notify';

function fakeNotification(permission: string, grant = 'granted') {
  const shown: string[] = [];
  const N = vi.fn(function (this: unknown, title: string) {
    shown.push(title);
  }) as unknown as NonNullable<NotifyEnv['Notification']>;
  Object.assign(N, { permission, requestPermission: vi.fn(async () => grant) });
  return { N, shown };
}

describe('notifyWaiting', () => {
  it('stays quiet while the window has focus', async () => {
    const { N, shown } = fakeNotification('granted');
    expect(await notifyWaiting('t', 'b', 'x', { hasFocus: () => true, Notification: N })).toBe(false);
    expect(shown).toEqual([]);
  });

  it('notifies when permitted, asking the first time', async () => {
    const { N, shown } = fakeNotification('default');
    expect(await notifyWaiting('t', 'b', 'x', { hasFocus: () => false, Notification: N })).toBe(true);
    expect(N.requestPermission).toHaveBeenCalled();
    expect(shown).toEqual(['t']);
  });

  it('does nothing when denied or unavailable', async () => {
    const { N, shown } = fakeNotification('denied');
    expect(await notifyWaiting('t', 'b', 'x', { hasFocus: () => false, Notification: N })).toBe(false);
    expect(await notifyWaiting('t', 'b', 'x', { hasFocus: () => false })).toBe(false);
    expect(shown).toEqual([]);
  });
});
