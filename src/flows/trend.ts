import { trendOf } from '../core/index.js';
import { type Deps, TREND_IMAGES_KEPT } from '../deps.js';
import { errorMessage } from '../errors.js';
import { TREND_RUNS, type TrendPoint, trendChartPng, trendText } from '../views/trend-chart.js';

/** Runs read to find the last TREND_RUNS that covered the scope: one-account runs may come in between. */
const RUNS_READ = 200;

/** The trend of the recorded runs over `scope`, oldest first, as the chart and its text draw it. */
export async function recordedTrend(deps: Deps, scope: readonly string[]): Promise<TrendPoint[]> {
  return trendOf(await deps.store.history.runs({ limit: RUNS_READ }), scope, TREND_RUNS);
}

export interface HomeTrend {
  text: string;
  image?: { fileId: string; alt: string };
}

/**
 * App Home's findings trend over every managed account: the same chart the digest attaches, drawn from the
 * recorded runs. The PNG is uploaded once per newest run (privately: no channel) and referenced by its file
 * id, so opening Home again costs no upload; the text trend shows either way, and alone when the history or
 * the upload fails.
 */
export async function homeTrend(deps: Deps): Promise<HomeTrend | undefined> {
  let points: TrendPoint[];
  try {
    points = await recordedTrend(
      deps,
      deps.core.accounts.list().map((a) => a.id),
    );
  } catch (err) {
    return { text: `:warning: Finding history unavailable: ${errorMessage(err)}` };
  }
  if (points.length === 0) return undefined;
  const text = trendText(points);
  const key = points.at(-1)?.runId as string;
  const cached = deps.trendImages.get(key);
  if (cached) return { text, image: cached };
  try {
    const chart = await trendChartPng(points);
    const up = (await deps.client.filesUploadV2({
      file: chart.png,
      filename: 'findings-trend.png',
      title: 'Inactive-user findings by severity',
      alt_text: chart.alt,
    })) as unknown as { files?: { files?: { id?: string }[] }[] };
    const fileId = up.files?.[0]?.files?.[0]?.id;
    if (!fileId) return { text };
    const image = { fileId, alt: chart.alt };
    deps.trendImages.set(key, image);
    for (const old of [...deps.trendImages.keys()].slice(0, -TREND_IMAGES_KEPT)) deps.trendImages.delete(old);
    return { text, image };
  } catch (err) {
    deps.logger.warn({ err: errorMessage(err) }, 'home: trend chart not uploaded; showing the text trend');
    return { text };
  }
}
