import { href } from './hash-route';

/** What an address the console does not know shows (an unknown section, or a `%` that does not decode). */
export function NotFoundPage() {
  return (
    <main className="page" data-testid="not-found">
      <div className="page-head">
        <div>
          <h1>Page not found</h1>
          <p>This address does not lead to a page of the console.</p>
        </div>
        <a className="button small primary" href={href(['chat'])}>
          Go to the chat
        </a>
      </div>
    </main>
  );
}
