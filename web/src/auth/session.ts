/** The API key lives in sessionStorage only: it is gone when the browser tab closes. */
const STORAGE_KEY = 'wps-agent.apiKey';

export function storedApiKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage disabled (privacy mode): the user signs in again on each load.
    return null;
  }
}

export function storeApiKey(apiKey: string | null): void {
  try {
    if (apiKey) sessionStorage.setItem(STORAGE_KEY, apiKey);
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // See storedApiKey.
  }
}
