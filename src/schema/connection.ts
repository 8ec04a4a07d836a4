/** One page of rows as a service returns it. */
export interface Page<Row> {
  rows: Row[];
  hasNextPage: boolean;
  totalCount: number;
}

/** Builds a Relay connection (edges, pageInfo, totalCount) from a page of rows. */
export function toConnection<Row, Node>(page: Page<Row>, cursorOf: (row: Row) => string, toNode: (row: Row) => Node) {
  const edges = page.rows.map((row) => ({ cursor: cursorOf(row), node: toNode(row) }));
  return {
    edges,
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount: page.totalCount,
  };
}
