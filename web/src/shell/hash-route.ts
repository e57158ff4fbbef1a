import { useCallback, useEffect, useState } from 'react';

/** A console location: `#/tool-calls?status=error` is `{ path: ['tool-calls'], query: status=error }`. */
export interface Route {
  path: string[];
  query: URLSearchParams;
}

/** The section a malformed address is shown as: no console page has this name. */
export const NOT_FOUND_SECTION = 'not-found';

function parse(hash: string): Route {
  const [pathPart = '', queryPart = ''] = hash.replace(/^#\/?/, '').split('?');
  try {
    return {
      path: pathPart.split('/').filter(Boolean).map(decodeURIComponent),
      query: new URLSearchParams(queryPart),
    };
  } catch {
    // A `%` that does not decode (`#/chat/%`) throws a URIError; rendering that would blank the page.
    return { path: [NOT_FOUND_SECTION], query: new URLSearchParams() };
  }
}

/** Builds a hash such as `#/conversations/abc`; query values left empty are dropped. */
export function href(path: string[], query: Record<string, string | undefined> = {}): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value) search.set(name, value);
  const suffix = search.size > 0 ? `?${search}` : '';
  return `#/${path.map(encodeURIComponent).join('/')}${suffix}`;
}

/**
 * Hash routing: the server only has to answer `/`, and a reload keeps the page. `replace` changes the
 * address without a history entry (a new chat learning its conversation id).
 */
export function useHashRoute(): { route: Route; navigate(hash: string): void; replace(hash: string): void } {
  const [route, setRoute] = useState(() => parse(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parse(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  const navigate = useCallback((hash: string) => {
    window.location.hash = hash;
  }, []);
  const replace = useCallback((hash: string) => {
    window.history.replaceState(null, '', hash);
    setRoute(parse(hash));
  }, []);
  return { route, navigate, replace };
}
