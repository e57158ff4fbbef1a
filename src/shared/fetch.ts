/** The fetch signature passed down to OAuth and MCP code so tests and the sandbox can be swapped in. */
export type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;
