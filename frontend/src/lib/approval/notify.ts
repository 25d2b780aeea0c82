// notifyWaiting tells the person, through an OS notification, that a run
// waits for them while the window is not focused. It uses the web
// Notification API when it is there and permitted (asking the first time it
// is needed), and does nothing otherwise.

/** NotifyEnv is what notifyWaiting reads; tests pass a fake. */
export interface NotifyEnv {
  hasFocus: () => boolean;
  Notification?: {
    permission: string;
    requestPermission: () => Promise<string>;
    new (title: string, options?: { body?: string; tag?: string }): unknown;
  };
}

function defaultEnv(): NotifyEnv {
  const g = globalThis as { document?: Document; Notification?: NotifyEnv['Notification'] };
  return {
    hasFocus: () => g.document?.hasFocus() ?? true,
    Notification: typeof g.Notification === 'function' ? g.Notification : undefined,
  };
}

/** notifyWaiting shows "title / body" unless the window has focus; it never throws. */
export async function notifyWaiting(title: string, body: string, tag: string, env: NotifyEnv = defaultEnv()): Promise<boolean> {
  try {
    if (env.hasFocus()) return false;
    const N = env.Notification;
    if (!N) return false;
    let permission = N.permission;
    if (permission === 'default') permission = await N.requestPermission();
    if (permission !== 'granted') return false;
    new N(title, { body, tag });
    return true;
  } catch {
    return false; // notifications are a courtesy
  }
}
