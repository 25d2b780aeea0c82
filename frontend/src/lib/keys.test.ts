import { describe, expect, it } from 'vitest';
import { isHealthShortcut, isMac, type KeyLike } from './keys';

const key = (over: Partial<KeyLike>): KeyLike => ({
  key: 'i',
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...over,
});

describe('isHealthShortcut', () => {
  it.each([
    { name: 'Ctrl+I', e: key({ ctrlKey: true }), want: true },
    { name: 'Cmd+I', e: key({ metaKey: true }), want: true },
    { name: 'Ctrl+I with caps lock', e: key({ ctrlKey: true, key: 'I' }), want: true },
    { name: 'plain i (typing)', e: key({}), want: false },
    { name: 'Ctrl+Shift+I (devtools)', e: key({ ctrlKey: true, shiftKey: true, key: 'I' }), want: false },
    { name: 'Ctrl+Alt+I', e: key({ ctrlKey: true, altKey: true }), want: false },
    { name: 'Ctrl+J', e: key({ ctrlKey: true, key: 'j' }), want: false },
  ])('$name -> $want', ({ e, want }) => {
    expect(isHealthShortcut(e)).toBe(want);
  });
});

describe('isMac', () => {
  it.each([
    { platform: 'MacIntel', want: true },
    { platform: 'Linux x86_64', want: false },
    { platform: 'Win32', want: false },
    { platform: undefined, want: false },
  ])('$platform -> $want', ({ platform, want }) => {
    expect(isMac(platform)).toBe(want);
  });
});
