import { memo } from 'react';
import ReactMarkdown, { type Components, defaultUrlTransform } from 'react-markdown';

interface MarkdownNode {
  type: string;
  value?: string;
  children?: MarkdownNode[];
}

/**
 * Raw HTML in a reply (from the model, or quoted from a document) is shown as the text it is, never
 * parsed: react-markdown would drop it silently, which hides what the model actually wrote.
 */
function htmlAsText() {
  const visit = (node: MarkdownNode) => {
    if (node.type === 'html') node.type = 'text';
    node.children?.forEach(visit);
  };
  return visit;
}

/** Only web and mail links survive (`javascript:`, `data:`… are removed by defaultUrlTransform). */
function safeUrl(url: string): string {
  const transformed = defaultUrlTransform(url);
  return /^(https?:|mailto:|#|\/)/i.test(transformed) || !/^[a-z][a-z0-9+.-]*:/i.test(transformed)
    ? transformed
    : '';
}

const components: Components = {
  a: ({ href, children }) =>
    href ? (
      <a href={href} target="_blank" rel="noopener noreferrer nofollow">
        {children}
      </a>
    ) : (
      <span>{children}</span>
    ),
  // Images from a reply are not loaded (a remote image is a tracking beacon): they become links.
  img: ({ src, alt }) =>
    typeof src === 'string' && src ? (
      <a href={src} target="_blank" rel="noopener noreferrer nofollow">
        [image{alt ? `: ${alt}` : ''}]
      </a>
    ) : (
      <span>[image{alt ? `: ${alt}` : ''}]</span>
    ),
};

/** Markdown rendered safely: no raw HTML, no script URLs, no remote images. */
export const Markdown = memo(function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown remarkPlugins={[htmlAsText]} urlTransform={safeUrl} components={components}>
        {text}
      </ReactMarkdown>
    </div>
  );
});
