/** `scheme://user:password@` (or `scheme://user@`) at the start of a URL anywhere in a text. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi;

/**
 * Cuts the user name and password out of every URL in a text. Error messages quote URLs (a fetch error,
 * a provider's message, doctor's report), and a URL's userinfo is a credential.
 */
export function redactUrlCredentials(text: string): string {
  return text.replace(URL_USERINFO, '$1[redacted]@');
}

/** Whether a URL carries a user name or password. */
export function hasUrlCredentials(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const parsed = new URL(value);
  return parsed.username !== '' || parsed.password !== '';
}
