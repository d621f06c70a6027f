/** One row of a postmortem's "Action items" table, as people filled it in. */
export interface ActionItem {
  action: string;
  owner: string;
  due: string;
}

// A row's cells: `| a | b | c |`, with `\|` an escaped pipe inside a cell.
const cells = (row: string) => row.trim().replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));

/**
 * The action items of a postmortem in Markdown (the draft firebreak wrote, edited by people): the
 * rows of the table under `## Action items`, without the draft's `_to be written_` placeholder. Pure.
 */
export function actionItems(markdown: string): ActionItem[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => /^##\s+Action items\s*$/i.test(l));
  if (start < 0) return [];
  const items: ActionItem[] = [];
  let header: string[] | undefined;
  for (const line of lines.slice(start + 1)) {
    if (/^#{1,2}\s/.test(line)) break;
    if (!line.trim().startsWith('|')) continue;
    const row = cells(line);
    if (!header) {
      header = row.map((h) => h.toLowerCase());
      continue;
    }
    if (row.every((c) => /^:?-{3,}:?$/.test(c))) continue;
    const at = (name: string, fallback: number) => row[header!.indexOf(name) >= 0 ? header!.indexOf(name) : fallback] ?? '';
    const action = at('action', 0);
    if (!action || /^_?to be written_?$/i.test(action)) continue;
    items.push({ action, owner: at('owner', 1), due: at('due', 2) });
  }
  return items;
}
