/**
 * Slack's documented Block Kit limits, written out here rather than imported from src/views/limits.ts: this is
 * the independent check, so a builder (or limits.ts itself) drifting past Slack's numbers fails it.
 * Sources: Slack's Block Kit reference (blocks, block elements, composition objects, views) and the
 * limits @slack/types documents on each field.
 */
export const SLACK = {
  messageBlocks: 50,
  viewBlocks: 100,
  text: 3000,
  field: 2000,
  fields: 10,
  header: 150,
  optionText: 75,
  optionValue: 150,
  options: 100,
  optionGroups: 100,
  optionGroupLabel: 75,
  buttonText: 75,
  buttonValue: 2000,
  modalTitle: 24,
  blockId: 255,
  actionId: 255,
  label: 2000,
  hint: 2000,
  placeholder: 150,
  contextElements: 10,
  actionsElements: 25,
  privateMetadata: 3000,
  callbackId: 255,
  /** An image block's alt_text. */
  altText: 2000,
  /** The top-level `text` of a message: Slack truncates past 40,000 and advises at most 4,000. */
  messageText: 4000,
} as const;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {});
const text = (v: unknown): string => String(obj(v).text ?? '');
const SELECTS = new Set(['static_select', 'external_select', 'multi_static_select', 'multi_external_select']);

/** Every limit a list of blocks breaks, as readable lines; empty when Slack would accept it. */
export function violations(blocks: readonly unknown[], maxBlocks: number): string[] {
  const out: string[] = [];
  const over = (where: string, value: string | unknown[], max: number, min = 0) => {
    if (value.length > max || value.length < min)
      out.push(`${where}: ${value.length} (limit ${min}..${max})`);
  };
  const option = (where: string, o: unknown) => {
    over(`${where} option text`, text(obj(o).text), SLACK.optionText, 1);
    over(`${where} option value`, String(obj(o).value ?? ''), SLACK.optionValue, 1);
  };
  const element = (where: string, e: Json) => {
    if (e.action_id !== undefined) over(`${where} action_id`, String(e.action_id), SLACK.actionId, 1);
    if (e.placeholder) over(`${where} placeholder`, text(e.placeholder), SLACK.placeholder, 1);
    if (e.type === 'button') {
      over(`${where} button text`, text(e.text), SLACK.buttonText, 1);
      if (e.value !== undefined) over(`${where} button value`, String(e.value), SLACK.buttonValue, 1);
    }
    if (typeof e.type === 'string' && SELECTS.has(e.type)) {
      const external = e.type.includes('external');
      const options = e.options as unknown[] | undefined;
      const groups = e.option_groups as unknown[] | undefined;
      if (external) {
        if (options || groups) out.push(`${where}: an external select carries no options`);
      } else if (groups) {
        over(`${where} option_groups`, groups, SLACK.optionGroups, 1);
        groups.forEach((g, gi) => {
          over(`${where} group ${gi} label`, text(obj(g).label), SLACK.optionGroupLabel, 1);
          const os = (obj(g).options as unknown[] | undefined) ?? [];
          over(`${where} group ${gi} options`, os, SLACK.options, 1);
          os.forEach((o, i) => {
            option(`${where} group ${gi}[${i}]`, o);
          });
        });
      } else {
        over(`${where} options`, options ?? [], SLACK.options, 1);
        (options ?? []).forEach((o, i) => {
          option(`${where}[${i}]`, o);
        });
      }
      if (e.initial_option) option(`${where} initial`, e.initial_option);
    }
  };
  over('blocks', [...blocks], maxBlocks);
  const blockIds = new Set<string>();
  blocks.forEach((raw, i) => {
    const b = obj(raw);
    const where = `block ${i} (${String(b.type)})`;
    if (b.block_id !== undefined) {
      const id = String(b.block_id);
      over(`${where} block_id`, id, SLACK.blockId, 1);
      if (blockIds.has(id)) out.push(`${where}: duplicate block_id ${id.slice(0, 40)}`);
      blockIds.add(id);
    }
    if (b.type === 'section') {
      if (b.text) over(`${where} text`, text(b.text), SLACK.text, 1);
      const fields = (b.fields as unknown[] | undefined) ?? [];
      if (!b.text && fields.length === 0) out.push(`${where}: a section needs text or fields`);
      over(`${where} fields`, fields, SLACK.fields);
      for (const f of fields) over(`${where} field`, text(f), SLACK.field, 1);
      if (b.accessory) element(`${where} accessory`, obj(b.accessory));
    }
    if (b.type === 'header') over(`${where} text`, text(b.text), SLACK.header, 1);
    if (b.type === 'image') {
      over(`${where} alt_text`, String(b.alt_text ?? ''), SLACK.altText, 1);
      if (Boolean(b.image_url) === Boolean(b.slack_file))
        out.push(`${where}: needs exactly one of image_url, slack_file`);
    }
    if (b.type === 'context') {
      const elements = (b.elements as unknown[]) ?? [];
      over(`${where} elements`, elements, SLACK.contextElements, 1);
      for (const e of elements) over(`${where} text`, text(e), SLACK.text, 1);
    }
    if (b.type === 'actions') {
      const elements = (b.elements as unknown[]) ?? [];
      over(`${where} elements`, elements, SLACK.actionsElements, 1);
      const actionIds = new Set<string>();
      for (const e of elements) {
        element(where, obj(e));
        const id = obj(e).action_id;
        if (typeof id === 'string') {
          if (actionIds.has(id)) out.push(`${where}: duplicate action_id ${id}`);
          actionIds.add(id);
        }
      }
    }
    if (b.type === 'input') {
      over(`${where} label`, text(b.label), SLACK.label, 1);
      if (b.hint) over(`${where} hint`, text(b.hint), SLACK.hint, 1);
      element(where, obj(b.element));
    }
  });
  return out;
}

export function messageViolations(m: { text?: string; blocks?: readonly unknown[] }): string[] {
  const out = violations(m.blocks ?? [], SLACK.messageBlocks);
  if (m.text !== undefined && (m.text.length > SLACK.messageText || m.text.length < 1))
    out.push(`text: ${m.text.length} (limit 1..${SLACK.messageText})`);
  return out;
}

/** A message's mrkdwn `text` alone (an ephemeral reply or a DM without blocks). */
export function textViolations(t: string): string[] {
  return messageViolations({ text: t });
}

export function homeViolations(v: { blocks: readonly unknown[] }): string[] {
  return violations(v.blocks, SLACK.viewBlocks);
}

export function modalViolations(v: {
  blocks: readonly unknown[];
  title?: { text: string };
  submit?: { text: string };
  close?: { text: string };
  private_metadata?: string;
  callback_id?: string;
}): string[] {
  const out = violations(v.blocks, SLACK.viewBlocks);
  for (const [k, t] of [
    ['title', v.title],
    ['submit', v.submit],
    ['close', v.close],
  ] as const) {
    const s = t?.text ?? '';
    if (t && (s.length > SLACK.modalTitle || s.length < 1))
      out.push(`${k}: ${s.length} (limit ${SLACK.modalTitle})`);
  }
  if (!v.title) out.push('title: missing');
  if ((v.private_metadata ?? '').length > SLACK.privateMetadata)
    out.push(`private_metadata: ${v.private_metadata?.length} (limit ${SLACK.privateMetadata})`);
  if ((v.callback_id ?? '').length > SLACK.callbackId)
    out.push(`callback_id: ${v.callback_id?.length} (limit ${SLACK.callbackId})`);
  return out;
}

/** The options an external select's options request may answer with. */
export function optionsResponseViolations(r: { options?: readonly unknown[] }): string[] {
  return violations(
    [
      {
        type: 'input',
        label: { type: 'plain_text', text: 'l' },
        element: { type: 'static_select', action_id: 'a', options: r.options ?? [] },
      },
    ],
    1,
  ).filter((v) => !v.includes('options: 0 ('));
}
