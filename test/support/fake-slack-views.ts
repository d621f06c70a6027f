import type { FakeSlack } from './fake-slack.js';

/** A view as the fake keeps it. */
export interface FakeView {
  id: string;
  view: Record<string, unknown>;
  /** views.open: the trigger it was opened with; views.publish: whose Home it is. */
  triggerId?: string;
  userId?: string;
}

type Text = { type?: string; text?: string } | undefined;

/**
 * Slack's views.open and views.publish on a FakeSlack, with the checks Slack makes that
 * firebreak's views could fail: a trigger id, a modal's or Home's type, a title of at most 24
 * characters, a submit button on a modal with inputs, at most 100 blocks with unique block ids, private_metadata of at
 * most 3,000 characters. Answers `invalid_arguments` as Slack does.
 */
export class FakeViews {
  readonly opened: FakeView[] = [];
  /** user id → every Home tab published for them, oldest first. */
  readonly published = new Map<string, FakeView[]>();
  private seq = 0;

  static install(slack: FakeSlack): FakeViews {
    const views = new FakeViews();
    slack.extraMethods.set('views.open', (args) => views.open(args));
    slack.extraMethods.set('views.publish', (args) => views.publish(args));
    return views;
  }

  /** The Home tab last published for `userId`. */
  home(userId: string): Record<string, unknown> | undefined {
    return this.published.get(userId)?.at(-1)?.view;
  }

  private open(args: Record<string, unknown>): Record<string, unknown> {
    const triggerId = String(args.trigger_id ?? '');
    if (!triggerId) return { ok: false, error: 'invalid_trigger_id' };
    const view = args.view as Record<string, unknown> | undefined;
    const problem = checkView(view, 'modal');
    if (problem) return { ok: false, error: 'invalid_arguments', response_metadata: { messages: [`[ERROR] ${problem}`] } };
    const id = `V0VIEW${String(++this.seq).padStart(4, '0')}`;
    this.opened.push({ id, view: view!, triggerId });
    return { ok: true, view: { id, ...view, state: { values: {} }, hash: `hash-${id}` } };
  }

  private publish(args: Record<string, unknown>): Record<string, unknown> {
    const userId = String(args.user_id ?? '');
    if (!/^[UW][A-Z0-9]+$/.test(userId)) return { ok: false, error: 'user_not_found' };
    const view = args.view as Record<string, unknown> | undefined;
    const problem = checkView(view, 'home');
    if (problem) return { ok: false, error: 'invalid_arguments', response_metadata: { messages: [`[ERROR] ${problem}`] } };
    const id = `V0HOME${String(++this.seq).padStart(4, '0')}`;
    const list = this.published.get(userId) ?? [];
    list.push({ id, view: view!, userId });
    this.published.set(userId, list);
    return { ok: true, view: { id, ...view } };
  }
}

function checkView(view: Record<string, unknown> | undefined, type: 'modal' | 'home'): string | undefined {
  if (!view || view.type !== type) return `view.type must be ${type}`;
  const blocks = view.blocks as { type?: string }[] | undefined;
  if (!Array.isArray(blocks) || blocks.length > 100) return 'view.blocks must be 1 to 100 blocks';
  const ids = blocks.map((b) => (b as { block_id?: string }).block_id).filter((id) => id !== undefined);
  if (new Set(ids).size !== ids.length) return 'block_id values must be unique within a view';
  if (typeof view.private_metadata === 'string' && view.private_metadata.length > 3000) return 'private_metadata is longer than 3000 characters';
  if (type === 'modal') {
    const title = (view.title as Text)?.text ?? '';
    if (!title || title.length > 24) return 'view.title must be 1 to 24 characters';
    if (blocks.some((b) => b.type === 'input') && !(view.submit as Text)?.text) return 'a modal with inputs needs a submit button';
  }
  return undefined;
}
