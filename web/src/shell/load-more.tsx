/** The foot of a cursor-paginated list: a loading note, or the button that fetches the next page. */
export function LoadMore(props: {
  loading: boolean;
  nextCursor: string | null;
  onLoad: (cursor: string) => void;
  testId: string;
}) {
  const { loading, nextCursor, onLoad, testId } = props;
  if (loading) return <p className="muted">Loading…</p>;
  if (!nextCursor) return null;
  return (
    <button type="button" className="load-more" data-testid={testId} onClick={() => onLoad(nextCursor)}>
      Load more
    </button>
  );
}
