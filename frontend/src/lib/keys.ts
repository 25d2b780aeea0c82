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
