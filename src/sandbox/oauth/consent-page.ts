/** The authorization parameters carried from the authorize request through the consent form. */
export interface AuthorizationParameters {
  client_id: string;
  redirect_uri: string;
  scope: string;
  state?: string;
  code_challenge?: string;
  code_challenge_method?: string;
  resource?: string;
}

const HIDDEN_FIELDS = [
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'resource',
] as const;

export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const STYLE = `
  *{box-sizing:border-box}
  body{margin:0;font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:#f3f5f9;color:#1f2329}
  main{max-width:440px;margin:0 auto;padding:24px 16px}
  .card{background:#fff;border-radius:12px;padding:24px;box-shadow:0 2px 12px rgba(0,0,0,.08)}
  h1{font-size:1.25rem;margin:0 0 4px}
  .sub{color:#646a73;margin:0 0 16px;font-size:.9rem}
  .app{font-family:ui-monospace,monospace;background:#f3f5f9;padding:2px 6px;border-radius:4px;word-break:break-all}
  ul.scopes{padding-left:20px;margin:8px 0 16px;font-size:.9rem}
  fieldset{border:1px solid #dee0e3;border-radius:8px;padding:8px 12px;margin:0 0 20px}
  legend{padding:0 4px;font-size:.9rem;color:#646a73}
  label.account{display:flex;align-items:center;gap:10px;padding:10px 4px;font-size:1rem;cursor:pointer}
  input[type=radio]{width:20px;height:20px}
  .actions{display:flex;gap:12px}
  button{flex:1;min-height:44px;font-size:1rem;border-radius:8px;border:1px solid #dee0e3;cursor:pointer}
  #approve{background:#3370ff;border-color:#3370ff;color:#fff}
  #deny{background:#fff;color:#1f2329}
  .note{margin-top:16px;color:#8f959e;font-size:.8rem}
`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body><main><div class="card">${body}</div></main></body>
</html>`;
}

/** The consent page: the app, the scopes, a choice of sandbox account, Approve / Deny. */
export function renderConsentPage(options: {
  parameters: AuthorizationParameters;
  scopes: string[];
  accounts: string[];
}): string {
  const { parameters, scopes, accounts } = options;
  const hidden = HIDDEN_FIELDS.map((name) => {
    const value = parameters[name];
    return value === undefined ? '' : `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
  }).join('\n');
  const accountList = accounts
    .map(
      (account, index) =>
        `<label class="account" for="account-${escapeHtml(account)}"><input type="radio" id="account-${escapeHtml(account)}" name="account" value="${escapeHtml(account)}"${index === 0 ? ' checked' : ''}> ${escapeHtml(account)}</label>`,
    )
    .join('\n');
  const scopeList = scopes.map((scope) => `<li><code>${escapeHtml(scope)}</code></li>`).join('');
  return page(
    '授权 / Authorize — WPS Sandbox',
    `<h1>授权 / Authorize</h1>
<p class="sub">应用 <span class="app">${escapeHtml(parameters.client_id)}</span> 请求访问你的 WPS 账号<br>The app is asking to access your WPS account</p>
<p>请求的权限 / Requested scopes:</p>
<ul class="scopes">${scopeList}</ul>
<form method="post" action="/oauth2/auth/decision">
${hidden}
<fieldset><legend>选择账号 / Choose an account</legend>
${accountList}
</fieldset>
<div class="actions">
<button type="submit" id="approve" name="decision" value="approve">同意 / Approve</button>
<button type="submit" id="deny" name="decision" value="deny">拒绝 / Deny</button>
</div>
</form>
<p class="note">WPS 本地沙箱，仅用于开发测试 / Local WPS sandbox, for development only</p>`,
  );
}

/** Shown instead of redirecting when the redirect target itself cannot be trusted. */
export function renderErrorPage(message: string): string {
  return page(
    '授权失败 / Authorization error',
    `<h1>授权失败 / Authorization error</h1><p id="error-message">${escapeHtml(message)}</p>`,
  );
}
