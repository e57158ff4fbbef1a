const entities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => entities[character] ?? character);
}

/** A small self-contained page (the OAuth callback's answers); every dynamic value is escaped. */
export function simplePage(options: {
  title: string;
  heading: string;
  body: string;
  tone: 'ok' | 'error';
}): string {
  const color = options.tone === 'ok' ? '#1a7f37' : '#cf222e';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
<style>
  body { font-family: system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif; margin: 0; padding: 2rem 1rem; background: #f6f8fa; color: #1f2328; }
  main { max-width: 32rem; margin: 0 auto; background: #fff; border: 1px solid #d0d7de; border-radius: 12px; padding: 1.5rem; }
  h1 { font-size: 1.25rem; color: ${color}; margin-top: 0; }
</style>
</head>
<body><main><h1>${escapeHtml(options.heading)}</h1><p>${escapeHtml(options.body)}</p></main></body>
</html>`;
}
