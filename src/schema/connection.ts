/** One page of rows as a service returns it. */
export interface Page<Row> {
  rows: Row[];
  hasNextPage: boolean;
  /** Counted only when a client selects totalCount: a list view rarely does, and it scans. */
  totalCount(): Promise<number>;
}

/** Builds a Relay connection (edges, pageInfo, totalCount) from a page of rows. */
export function toConnection<Row, Node>(page: Page<Row>, cursorOf: (row: Row) => string, toNode: (row: Row) => Node) {
  // Cursors are computed only when a client selects them: most list views never do.
  const edges = page.rows.map((row) => ({
    get cursor() {
      return cursorOf(row);
    },
    node: toNode(row),
  }));
  const last = page.rows.at(-1);
  return {
    edges,
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: last === undefined ? null : cursorOf(last) },
    get totalCount() {
      return page.totalCount();
    },
  };
}
