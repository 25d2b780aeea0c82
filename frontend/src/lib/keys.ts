// Keyboard shortcuts, described once so the handler and the hints agree.

/** isMac reports whether the platform uses Cmd instead of Ctrl for shortcuts. */
export function isMac(platform: string | undefined): boolean {
  return /mac|iphone|ipad/i.test(platform ?? '');
}

/** modKeyLabel is the label of the shortcut modifier on this platform. */
export function modKeyLabel(): string {
  const platform = typeof navigator === 'undefined' ? undefined : navigator.platform;
  return isMac(platform) ? '⌘' : 'Ctrl';
}

/** KeyLike is the part of a KeyboardEvent the matchers read. */
export type KeyLike = Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>;

/** isHealthShortcut matches Ctrl+I (Cmd+I on macOS), which toggles the About / Health panel. */
export function isHealthShortcut(e: KeyLike): boolean {
  return (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'i';
}

/** isSettingsShortcut matches Ctrl+, (Cmd+, on macOS), which toggles the Settings view. */
export function isSettingsShortcut(e: KeyLike): boolean {
  return (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key === ',';
}

/** mod reports whether the platform's shortcut modifier (Ctrl, or Cmd on macOS) is held. */
function mod(e: KeyLike): boolean {
  return e.ctrlKey || e.metaKey;
}

/** isSendShortcut matches Ctrl+Enter (Cmd+Enter on macOS), which sends the prompt. */
export function isSendShortcut(e: KeyLike): boolean {
  return mod(e) && !e.altKey && !e.shiftKey && e.key === 'Enter';
}

/** isSearchShortcut matches Ctrl+K (Cmd+K), which focuses the session search. */
export function isSearchShortcut(e: KeyLike): boolean {
  return mod(e) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'k';
}

/** isNewSessionShortcut matches Alt+N, which starts a new session (Ctrl+N opens a browser window). */
export function isNewSessionShortcut(e: KeyLike & { code?: string }): boolean {
  return e.altKey && !mod(e) && !e.shiftKey && (e.code === 'KeyN' || e.key.toLowerCase() === 'n');
}

/** tabShortcut maps Alt+1, Alt+2, Alt+3 to the run area's tabs (0-based), or -1. */
export function tabShortcut(e: KeyLike & { code?: string }): number {
  if (!e.altKey || mod(e) || e.shiftKey) return -1;
  const m = /^(?:Digit)?([1-3])$/.exec(e.code ?? '') ?? /^([1-3])$/.exec(e.key);
  return m ? Number(m[1]) - 1 : -1;
}

/** isTyping reports whether a key event comes from a text field, where single-key shortcuts must not fire. */
export function isTyping(target: EventTarget | null): boolean {
  const el = target as { tagName?: string; isContentEditable?: boolean } | null;
  if (!el || typeof el.tagName !== 'string') return false;
  return el.isContentEditable === true || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName);
}

/**
 * historyShortcut maps Alt+Left to -1 (back) and Alt+Right to +1 (forward), else 0. In a text
 * field the keys move the caret (by word on macOS), so they are left alone there.
 */
export function historyShortcut(e: KeyLike & { target?: EventTarget | null }): -1 | 0 | 1 {
  if (!e.altKey || mod(e) || e.shiftKey || isTyping(e.target ?? null)) return 0;
  if (e.key === 'ArrowLeft') return -1;
  if (e.key === 'ArrowRight') return 1;
  return 0;
}
