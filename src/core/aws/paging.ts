/** Drains an SDK paginator (which follows Marker/IsTruncated) into one array. */
export async function collect<P, T>(
  pages: AsyncIterable<P>,
  pick: (page: P) => T[] | undefined,
): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...(pick(page) ?? []));
  return out;
}
