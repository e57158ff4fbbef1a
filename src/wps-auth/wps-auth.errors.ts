/**
 * The user's WPS authorization is missing or no longer usable. Thrown from deep inside token and MCP code
 * (even from a transport's fetch), caught at the edges (routes, the chat loop), where it becomes a
 * `wps_authorization_required` answer with a fresh authorize URL.
 */
export class WpsAuthorizationRequiredError extends Error {
  readonly reason: 'not_connected' | 'reauthorization_required';
  constructor(
    reason: 'not_connected' | 'reauthorization_required',
    options?: { cause?: unknown; message?: string },
  ) {
    super(
      options?.message ??
        (reason === 'not_connected'
          ? 'WPS is not connected for this user.'
          : "WPS no longer accepts this user's authorization; connect again."),
      { cause: options?.cause },
    );
    this.name = 'WpsAuthorizationRequiredError';
    this.reason = reason;
  }
}

/** Finds the authorization error anywhere in a cause chain (the MCP SDK wraps what fetch throws). */
export function findAuthorizationRequired(error: unknown): WpsAuthorizationRequiredError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current; depth++) {
    if (current instanceof WpsAuthorizationRequiredError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
