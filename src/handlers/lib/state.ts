/** Reads Slack's view.state.values, where each input's action_id equals its block id. */
type StateValue = {
  value?: string | null;
  selected_option?: { value: string } | null;
  selected_user?: string | null;
};
export type ViewState = Record<string, Record<string, StateValue>>;

export function textValue(state: ViewState, blockId: string, actionId = blockId): string {
  return (state[blockId]?.[actionId]?.value ?? '').trim();
}

export function selectValue(state: ViewState, blockId: string, actionId = blockId): string | undefined {
  return state[blockId]?.[actionId]?.selected_option?.value ?? undefined;
}

export function userValue(state: ViewState, blockId: string, actionId: string): string | undefined {
  return state[blockId]?.[actionId]?.selected_user ?? undefined;
}

/** Resolves after `ms` with `fallback`, so a slow dependency cannot push an ack past Slack's 3 s. */
export function withTimeout<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  return Promise.race([p, new Promise<T>((resolve) => setTimeout(() => resolve(fallback), ms).unref())]);
}
