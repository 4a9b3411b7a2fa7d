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
