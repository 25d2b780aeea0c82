import { describe, expect, it } from 'vitest';
import { historyShortcut, isHealthShortcut, isMac, isNewSessionShortcut, isSearchShortcut, isSendShortcut, isSettingsShortcut, isTyping, tabShortcut, type KeyLike } from './keys';

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

describe('run shortcuts', () => {
  it.each([
    { name: 'Ctrl+Enter sends', fn: isSendShortcut, e: key({ key: 'Enter', ctrlKey: true }), want: true },
    { name: 'Cmd+Enter sends', fn: isSendShortcut, e: key({ key: 'Enter', metaKey: true }), want: true },
    { name: 'Enter alone is a newline', fn: isSendShortcut, e: key({ key: 'Enter' }), want: false },
    { name: 'Shift+Ctrl+Enter does not send', fn: isSendShortcut, e: key({ key: 'Enter', ctrlKey: true, shiftKey: true }), want: false },
    { name: 'Ctrl+K searches', fn: isSearchShortcut, e: key({ key: 'k', ctrlKey: true }), want: true },
    { name: 'K alone does not', fn: isSearchShortcut, e: key({ key: 'k' }), want: false },
    { name: 'Alt+N is a new session', fn: isNewSessionShortcut, e: key({ key: 'n', altKey: true }), want: true },
    { name: 'Alt+N on a layout where the key types ñ', fn: isNewSessionShortcut, e: { ...key({ key: 'ñ', altKey: true }), code: 'KeyN' }, want: true },
  ])('$name', ({ fn, e, want }) => {
    expect(fn(e)).toBe(want);
  });

  it('tabShortcut maps Alt+1..3', () => {
    expect(tabShortcut({ ...key({ key: '2', altKey: true }), code: 'Digit2' })).toBe(1);
    expect(tabShortcut({ ...key({ key: '¡', altKey: true }), code: 'Digit1' })).toBe(0);
    expect(tabShortcut(key({ key: '4', altKey: true }))).toBe(-1);
    expect(tabShortcut(key({ key: '1' }))).toBe(-1);
  });

  it('isSettingsShortcut matches Ctrl+, and Cmd+, only', () => {
    expect(isSettingsShortcut(key({ key: ',', ctrlKey: true }))).toBe(true);
    expect(isSettingsShortcut(key({ key: ',', metaKey: true }))).toBe(true);
    expect(isSettingsShortcut(key({ key: ',' }))).toBe(false);
    expect(isSettingsShortcut(key({ key: ',', ctrlKey: true, shiftKey: true }))).toBe(false);
    expect(isSettingsShortcut(key({ key: '.', ctrlKey: true }))).toBe(false);
  });

  it('isTyping spots text fields', () => {
    expect(isTyping({ tagName: 'TEXTAREA' } as unknown as EventTarget)).toBe(true);
    expect(isTyping({ tagName: 'DIV', isContentEditable: true } as unknown as EventTarget)).toBe(true);
    expect(isTyping({ tagName: 'svg' } as unknown as EventTarget)).toBe(false);
    expect(isTyping(null)).toBe(false);
  });
});

describe('historyShortcut', () => {
  const field = { tagName: 'INPUT' } as unknown as EventTarget;
  it.each([
    { name: 'Alt+Left goes back', e: key({ key: 'ArrowLeft', altKey: true }), want: -1 },
    { name: 'Alt+Right goes forward', e: key({ key: 'ArrowRight', altKey: true }), want: 1 },
    { name: 'Left alone moves in the view', e: key({ key: 'ArrowLeft' }), want: 0 },
    { name: 'Alt+Shift+Left is not history', e: key({ key: 'ArrowLeft', altKey: true, shiftKey: true }), want: 0 },
    { name: 'Ctrl+Alt+Right is not history', e: key({ key: 'ArrowRight', altKey: true, ctrlKey: true }), want: 0 },
    { name: 'Alt+Up is not history', e: key({ key: 'ArrowUp', altKey: true }), want: 0 },
    { name: 'Alt+Left in a text field moves the caret', e: { ...key({ key: 'ArrowLeft', altKey: true }), target: field }, want: 0 },
  ])('$name', ({ e, want }) => {
    expect(historyShortcut(e)).toBe(want);
  });
});
