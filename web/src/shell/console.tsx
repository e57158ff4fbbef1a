import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { createApiClient } from '../api/api-client';
import { ChatPage, type ChatTarget } from '../chat/chat-page';
import { ConversationsPage } from '../conversations/conversations-page';
import { TranscriptPage } from '../conversations/transcript-page';
import { type ToolCallFilters, ToolCallsPage } from '../tool-calls/tool-calls-page';
import { ConnectionControl } from '../wps/connection-control';
import { useWpsConnection } from '../wps/use-wps-connection';
import { href, useHashRoute } from './hash-route';
import { NotFoundPage } from './not-found-page';

/** The console's pages; any other address shows the not-found page. */
const SECTIONS = new Set(['chat', 'conversations', 'tool-calls']);

let chatCounter = 0;
/** A useChat id: unique in this tab (crypto.randomUUID needs a secure context, a LAN address is not). */
function newChatKey(): string {
  chatCounter += 1;
  return `chat-${Date.now().toString(36)}-${chatCounter}`;
}

/** The signed-in console: header, navigation and the page the address names. */
export function Console({ apiKey, onSignOut }: { apiKey: string; onSignOut(notice: string | null): void }) {
  // The header follows /v1/me: asked again after any 409 and whenever the window regains focus (the WPS
  // connection may have been lost, or made, elsewhere).
  const refreshConnection = useRef<() => void>(() => undefined);
  const api = useMemo(
    () =>
      createApiClient({
        apiKey,
        onUnauthorized: (message) => onSignOut(`Signed out: ${message} Sign in again with a valid API key.`),
        onConflict: () => refreshConnection.current(),
      }),
    [apiKey, onSignOut],
  );
  const connection = useWpsConnection(api);
  refreshConnection.current = () => void connection.refresh();
  useEffect(() => {
    const onFocus = () => refreshConnection.current();
    window.addEventListener('focus', onFocus);
    return () => window.removeEventListener('focus', onFocus);
  }, []);
  const { route, navigate, replace } = useHashRoute();
  const [section = 'chat', routeId] = route.path;
  const [chatTarget, setChatTarget] = useState<ChatTarget>(() =>
    section === 'chat' && routeId
      ? { key: newChatKey(), conversationId: routeId, opened: true }
      : { key: newChatKey(), opened: false },
  );

  // Opening `#/chat/<id>` continues that conversation (unless it is the one already in the chat).
  useEffect(() => {
    if (section !== 'chat' || !routeId) return;
    setChatTarget((current) =>
      current.conversationId === routeId
        ? current
        : { key: newChatKey(), conversationId: routeId, opened: true },
    );
  }, [section, routeId]);

  const onConversationId = useCallback(
    (id: string) => {
      setChatTarget((current) => ({ ...current, conversationId: id }));
      if (window.location.hash === '' || window.location.hash.startsWith('#/chat'))
        replace(href(['chat', id]));
    },
    [replace],
  );
  const newChat = useCallback(() => {
    setChatTarget({ key: newChatKey(), opened: false });
    replace(href(['chat']));
  }, [replace]);

  const filters: ToolCallFilters = {
    name: route.query.get('name') ?? undefined,
    status: route.query.get('status') ?? undefined,
    source: route.query.get('source') ?? undefined,
    writes: route.query.get('writes') ?? undefined,
    conversationId: route.query.get('conversationId') ?? undefined,
  };
  const chatHref = chatTarget.conversationId ? href(['chat', chatTarget.conversationId]) : href(['chat']);
  // One name on every screen: "History" is short enough for a phone's header.
  const navItems: Array<{ id: string; label: string; target: string }> = [
    { id: 'chat', label: 'Chat', target: chatHref },
    { id: 'conversations', label: 'History', target: href(['conversations']) },
    { id: 'tool-calls', label: 'Tool calls', target: href(['tool-calls']) },
  ];

  return (
    <div className="console">
      <header className="top-bar">
        <div className="brand">WPS agent</div>
        <nav aria-label="Sections">
          {navItems.map((item) => (
            <a
              key={item.id}
              href={item.target}
              className={section === item.id ? 'nav-link active' : 'nav-link'}
              aria-current={section === item.id ? 'page' : undefined}
              data-testid={`nav-${item.id}`}
            >
              {item.label}
            </a>
          ))}
        </nav>
        <div className="connection-area">
          <ConnectionControl connection={connection} />
        </div>
        <div className="account">
          <span className="user-name" data-testid="user-name" title={connection.me?.user.name}>
            {connection.me?.user.name ?? ''}
          </span>
          <button
            type="button"
            className="small ghost"
            data-testid="sign-out"
            onClick={() => onSignOut(null)}
          >
            Sign out
          </button>
        </div>
      </header>
      {connection.loadError && (
        <p className="banner form-error" role="alert">
          {connection.loadError}
        </p>
      )}
      {/* The chat stays mounted while other pages are shown, so a reply keeps streaming in. */}
      <div className="chat-host" hidden={section !== 'chat'}>
        <ChatPage
          api={api}
          target={chatTarget}
          onConversationId={onConversationId}
          onConnect={() => void connection.connect()}
          wpsConnected={connection.me?.wps.status === 'connected'}
          onNewChat={newChat}
        />
      </div>
      {section === 'conversations' && !routeId && <ConversationsPage api={api} />}
      {section === 'conversations' && routeId && (
        <TranscriptPage
          api={api}
          id={routeId}
          onDeleted={() => {
            if (chatTarget.conversationId === routeId) setChatTarget({ key: newChatKey(), opened: false });
            navigate(href(['conversations']));
          }}
        />
      )}
      {!SECTIONS.has(section) && <NotFoundPage />}
      {section === 'tool-calls' && (
        <ToolCallsPage
          api={api}
          filters={filters}
          onFiltersChange={(next) => navigate(href(['tool-calls'], { ...next }))}
        />
      )}
    </div>
  );
}
