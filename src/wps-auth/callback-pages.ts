import { createHash } from 'node:crypto';
import type { Response } from 'express';
import { escapeHtml } from '../http/html.js';
import type { CallbackOutcome } from './code-exchange.js';

const STYLE = `
  body { font-family: system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif; margin: 0; padding: 2rem 1rem; background: #f6f8fa; color: #1f2328; }
  main { max-width: 32rem; margin: 0 auto; background: #fff; border: 1px solid #d0d7de; border-radius: 12px; padding: 1.5rem; }
  h1 { font-size: 1.25rem; margin-top: 0; }
  h1.ok { color: #1a7f37; } h1.error { color: #cf222e; } h1.ask { color: #1f2328; }
  .warning { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 8px; padding: .75rem; }
  .problem { color: #cf222e; font-weight: 600; }
  label { display: block; font-weight: 600; margin: 1rem 0 .25rem; }
  input[type=password] { width: 100%; box-sizing: border-box; padding: .5rem; font: inherit; border: 1px solid #d0d7de; border-radius: 6px; }
  button { margin-top: 1rem; min-height: 2.5rem; padding: 0 1.25rem; font: inherit; border-radius: 6px; border: 1px solid #1a7f37; background: #1f883d; color: #fff; cursor: pointer; }
`;

/**
 * No script at all, styles only by hash, forms only back to this origin, never framed (clickjacking a
 * confirmation page), and no referrer: the callback URL carries an authorization code.
 */
const SECURITY_HEADERS = {
  'content-security-policy': [
    "default-src 'none'",
    `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; '),
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function page(title: string, content: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body><main>${content}</main></body>
</html>`;
}

/** Sends the page for an outcome of the callback or of its confirmation, with the flow's headers. */
export function sendCallbackPage(
  response: Response,
  outcome: CallbackOutcome,
  options: { confirmAction: string },
): void {
  response.set(SECURITY_HEADERS).type('html');
  if (outcome.status === 'connected') {
    const name = escapeHtml(outcome.userName);
    response.status(200).send(
      page(
        'WPS connected',
        `<h1 class="ok">WPS connected · 已连接 WPS</h1>
<p>Your WPS account is now connected to agent user «<strong data-testid="connected-user">${name}</strong>».
Connected, you can close this window. 连接成功，可以关闭此窗口。</p>`,
      ),
    );
    return;
  }
  if (outcome.status === 'failed') {
    const status = outcome.reason === 'cross_site' ? 403 : 400;
    response
      .status(status)
      .send(
        page(
          'WPS connection failed',
          `<h1 class="error">WPS connection failed · 连接失败</h1><p>${escapeHtml(outcome.message)}</p>`,
        ),
      );
    return;
  }
  const name = escapeHtml(outcome.userName);
  const problem = outcome.wrongKey
    ? `<p class="problem" role="alert">That API key does not belong to agent user «${name}». Nothing was connected. ${outcome.triesLeft} ${outcome.triesLeft === 1 ? 'try' : 'tries'} left.</p>`
    : '';
  response.status(outcome.wrongKey ? 400 : 200).send(
    page(
      'Confirm the WPS connection',
      `<h1 class="ask">Connect this WPS authorization to agent user «${name}»? · 确认连接</h1>
<p>This browser did not start this authorization, so the agent asks who you are before it stores anything.</p>
<p class="warning">If you are not «${name}» (for example, someone sent you this link), close this page:
completing it would let «${name}» read and change your WPS documents.</p>
${problem}
<form method="post" action="${escapeHtml(options.confirmAction)}" autocomplete="off">
<input type="hidden" name="confirmation" value="${escapeHtml(outcome.confirmationToken)}">
<label for="api-key">API key of agent user «${name}»</label>
<input type="password" id="api-key" name="apiKey" required autocomplete="off" spellcheck="false">
<button type="submit">Connect to «${name}»</button>
</form>`,
    ),
  );
}
