/** Slack's three control characters: escaping them keeps `<!channel>` or `<@U…>` in user text inert. */
export function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A timestamp every reader sees in their own time zone; the ISO text is the fallback. */
export function slackDate(iso: string): string {
  return `<!date^${Math.floor(Date.parse(iso) / 1000)}^{date_short_pretty} {time}|${iso}>`;
}
