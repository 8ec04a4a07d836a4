/**
 * Where a body-mode client keeps its refresh token between calls: memory by default, or the
 * platform's secure storage (Keychain, Keystore, a secrets file) plugged in by the app.
 * Browsers should use cookie mode instead: a refresh token readable by scripts is one XSS away
 * from theft.
 */
export interface RefreshTokenStore {
  get(): string | null | Promise<string | null>;
  /** `null` forgets the token (after logout, or when the server says the session is over). */
  set(token: string | null): void | Promise<void>;
}

export function createMemoryRefreshTokenStore(initial: string | null = null): RefreshTokenStore {
  let token = initial;
  return {
    get: () => token,
    set: (next) => {
      token = next;
    },
  };
}
