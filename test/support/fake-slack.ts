import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake Slack received. */
export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  /** The bearer token the client sent. */
  token: string | undefined;
  /** HTTP status the fake answered. */
  status: number;
  atMs: number;
}

/** A forced answer: an HTTP status (429 with Retry-After seconds, 500…) instead of the real one. */
export interface Failure {
  status: number;
  retryAfter?: number;
}

/** A message as the fake keeps it; `metadata` as chat.postMessage was given it. */
export interface FakeMessage {
  ts: string;
  text: string;
  blocks: unknown[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  /** The app that posted it (this app's bot, for a call with a token). */
  bot_id: string;
}

/** A call held after Slack did its work: the test says when (and how) it is answered. */
export interface HeldCall {
  /** Resolves once Slack has done the work (a message posted), before any answer is sent. */
  done: Promise<SlackCall>;
  /** Sends the answer Slack would have sent, or an HTTP failure instead (the work stays done). */
  answer(failure?: Failure): void;
}

/**
 * A local stand-in for the Slack Web API that the real @slack/web-api client talks to (through
 * SLACK_API_URL): the methods firebreak uses, with Slack's answers and errors, every call recorded,
 * and failures on demand. Also receives what is POSTed to response_url (path /response/…).
 */
export class FakeSlack {
  readonly calls: SlackCall[] = [];
  readonly responses: { path: string; body: Record<string, unknown> }[] = [];
  /** channel id → ts → the message as last posted or updated. */
  readonly messages = new Map<string, Map<string, FakeMessage>>();
  /** Channels this app's bot is not a member of: their history answers not_in_channel until conversations.join. */
  readonly outside = new Set<string>();
  readonly channels = new Map<string, { id: string; name: string; topic?: string; members: Set<string>; pins: Set<string> }>();
  /** User groups by handle: their members (usergroups.list / usergroups.users.list). */
  readonly groups = new Map<string, string[]>();
  /** Users by email (users.lookupByEmail). */
  readonly emails = new Map<string, string>();
  /** Who the bot token belongs to: auth.test's team (and enterprise on Grid), bots.info's app. */
  readonly identity = { teamId: 'T0TEAM001', enterpriseId: undefined as string | undefined, appId: 'A0APP0001', botId: 'B0FIREBRK', botUserId: 'U0FIREBRK' };
  /** Files uploaded through files.uploadV2: the file's bytes (and as text), and how the upload was completed. */
  readonly uploads: { id: string; body: string; bytes: Buffer; complete?: Record<string, unknown> }[] = [];
  /** Methods answered by other fakes (Socket Mode's apps.connections.open, views.*): the answer for the arguments and token. */
  readonly extraMethods = new Map<string, (args: Record<string, unknown>, token: string) => Record<string, unknown>>();
  private readonly failures = new Map<string, Failure[]>();
  private readonly holds: { method: string; matches: (args: Record<string, unknown>) => boolean; done: (call: SlackCall) => void; answered: Promise<Failure | undefined> }[] = [];
  private outage: Failure | undefined;
  private server!: Server;
  private seq = 100;
  url = '';

  static async start(): Promise<FakeSlack> {
    const fake = new FakeSlack();
    fake.server = createServer((req, res) => {
      void fake.handle(req).then(({ status, body, headers }) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}/`;
    return fake;
  }

  /** The Web API base URL (SLACK_API_URL). */
  get apiUrl(): string {
    return `${this.url}api/`;
  }

  /** The next `times` calls of `method` ('*' for any) get `failure`. */
  failNext(method: string, failure: Failure, times = 1): void {
    const queue = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(failure);
    this.failures.set(method, queue);
  }

  /**
   * The next call of `method` (whose arguments `matches`) is done (a message posted, say) and then
   * its answer waits for the test: a crash between Slack's work and firebreak hearing of it, or an
   * answer lost on the way.
   */
  holdNext(method: string, matches: (args: Record<string, unknown>) => boolean = () => true): HeldCall {
    let done!: (call: SlackCall) => void;
    let answer!: (failure?: Failure) => void;
    const held = { done: new Promise<SlackCall>((r) => { done = r; }), answered: new Promise<Failure | undefined>((r) => { answer = r; }) };
    this.holds.push({ method, matches, done, answered: held.answered });
    return { done: held.done, answer };
  }

  /** Every call fails with `failure` until `recover()`. */
  down(failure: Failure = { status: 500 }): void {
    this.outage = failure;
  }

  recover(): void {
    this.outage = undefined;
  }

  /** Calls of `method` that Slack accepted (HTTP 200). */
  ok(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method && c.status === 200);
  }

  /** Waits until `check` holds (polling), or throws after `timeoutMs` with `what` in the message. */
  async waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value) return value;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}; calls: ${this.calls.map((c) => `${c.method}:${c.status}`).join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    const raw = bytes.toString('utf8');
    const path = (req.url ?? '').split('?')[0]!;
    if (path.startsWith('/response/')) {
      this.responses.push({ path, body: JSON.parse(raw) as Record<string, unknown> });
      return { status: 200, body: { ok: true } };
    }
    if (path.startsWith('/upload/')) {
      const file = uploadedFile(bytes, req.headers['content-type'] ?? '');
      this.uploads.push({ id: path.slice('/upload/'.length), body: file.toString('utf8'), bytes: file });
      return { status: 200, body: 'OK' };
    }
    const method = path.replace(/^\/api\//, '');
    const args = parseArgs(raw, req.headers['content-type'] ?? '');
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const failure = this.outage ?? this.failures.get(method)?.shift() ?? this.failures.get('*')?.shift();
    const call: SlackCall = { method, args, token, status: failure?.status ?? 200, atMs: Date.now() };
    this.calls.push(call);
    if (failure) {
      return {
        status: failure.status,
        body: { ok: false, error: failure.status === 429 ? 'ratelimited' : 'internal_error' },
        headers: failure.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : {},
      };
    }
    if (token === undefined) return { status: 200, body: { ok: false, error: 'not_authed' } };
    const extra = this.extraMethods.get(method);
    const body = extra ? extra(args, token) : this.answer(method, args);
    const at = this.holds.findIndex((h) => h.method === method && h.matches(args));
    if (at < 0) return { status: 200, body };
    const [hold] = this.holds.splice(at, 1) as [(typeof this.holds)[number]];
    hold.done(call);
    const instead = await hold.answered;
    call.status = instead?.status ?? 200;
    return instead ? { status: instead.status, body: { ok: false, error: 'internal_error' } } : { status: 200, body };
  }

  private answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const channelId = (ref: unknown) => {
      const s = String(ref ?? '');
      if (/^[CG][A-Z0-9]+$/.test(s)) return s;
      return [...this.channels.values()].find((c) => c.name === s.replace(/^#/, ''))?.id;
    };
    switch (method) {
      case 'auth.test': {
        // As Slack answers for a bot token: no app id (bots.info has it); enterprise_id only on Grid.
        const me = this.identity;
        return {
          ok: true, url: 'https://acme.slack.com/', team: 'Acme', user: 'firebreak', team_id: me.teamId, user_id: me.botUserId, bot_id: me.botId,
          is_enterprise_install: false, ...(me.enterpriseId ? { enterprise_id: me.enterpriseId } : {}),
        };
      }
      case 'bots.info': {
        const me = this.identity;
        if (args.bot !== me.botId) return { ok: false, error: 'bot_not_found' };
        return { ok: true, bot: { id: me.botId, deleted: false, name: 'firebreak', updated: 1763700000, app_id: me.appId, user_id: me.botUserId, icons: {} } };
      }
      case 'chat.postMessage': {
        const channel = channelId(args.channel);
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (!args.text && !args.blocks) return { ok: false, error: 'no_text' };
        const blocksError = checkBlocks(args.blocks);
        if (blocksError) return { ok: false, error: blocksError };
        const ts = `${Math.floor(Date.now() / 1000)}.${String(this.seq++).padStart(6, '0')}`;
        const byTs = this.messages.get(channel) ?? new Map<string, FakeMessage>();
        const metadata = args.metadata as FakeMessage['metadata'];
        byTs.set(ts, { ts, text: String(args.text ?? ''), blocks: (args.blocks as unknown[]) ?? [], bot_id: 'B0FIREBRK', ...(metadata ? { metadata } : {}) });
        this.messages.set(channel, byTs);
        return { ok: true, channel, ts, message: { text: args.text, ts } };
      }
      case 'conversations.history': {
        const channel = String(args.channel ?? '');
        if (!/^[CG][A-Z0-9]+$/.test(channel)) return { ok: false, error: 'channel_not_found' };
        if (this.outside.has(channel)) return { ok: false, error: 'not_in_channel' };
        const oldest = Number(args.oldest ?? 0);
        const limit = Math.min(Number(args.limit ?? 100), 999);
        const from = Number(args.cursor ?? 0);
        const all = [...(this.messages.get(channel)?.values() ?? [])].filter((m) => Number(m.ts) > oldest).reverse(); // newest first
        const page = all.slice(from, from + limit).map(({ metadata, ...m }) => ({
          type: 'message', ...m, ...(metadata && String(args.include_all_metadata) === 'true' ? { metadata } : {}),
        }));
        const more = from + limit < all.length;
        return { ok: true, messages: page, has_more: more, response_metadata: { next_cursor: more ? String(from + limit) : '' } };
      }
      case 'conversations.join': {
        this.outside.delete(String(args.channel));
        return { ok: true, channel: { id: args.channel } };
      }
      case 'chat.update': {
        const channel = channelId(args.channel);
        const message = channel ? this.messages.get(channel)?.get(String(args.ts)) : undefined;
        if (!message) return { ok: false, error: 'message_not_found' };
        const blocksError = checkBlocks(args.blocks);
        if (blocksError) return { ok: false, error: blocksError };
        message.text = String(args.text ?? '');
        message.blocks = (args.blocks as unknown[]) ?? [];
        return { ok: true, channel, ts: args.ts };
      }
      case 'conversations.create': {
        const name = String(args.name ?? '');
        if (!/^[a-z0-9_-]{1,80}$/.test(name)) return { ok: false, error: 'invalid_name_specials' };
        if ([...this.channels.values()].some((c) => c.name === name)) return { ok: false, error: 'name_taken' };
        const id = `C0NEW${String(this.seq++).padStart(4, '0')}`;
        this.channels.set(id, { id, name, members: new Set(['U0FIREBRK']), pins: new Set() });
        return { ok: true, channel: { id, name } };
      }
      case 'conversations.setTopic': {
        const c = this.channels.get(String(args.channel));
        if (!c) return { ok: false, error: 'channel_not_found' };
        c.topic = String(args.topic);
        return { ok: true };
      }
      case 'conversations.invite': {
        const c = this.channels.get(String(args.channel));
        if (!c) return { ok: false, error: 'channel_not_found' };
        const users = String(args.users).split(',');
        if (users.every((u) => c.members.has(u))) return { ok: false, error: 'already_in_channel' };
        for (const u of users) c.members.add(u);
        return { ok: true, channel: { id: c.id } };
      }
      case 'pins.add': {
        const c = this.channels.get(String(args.channel));
        if (!c) return { ok: false, error: 'channel_not_found' };
        if (c.pins.has(String(args.timestamp))) return { ok: false, error: 'already_pinned' };
        c.pins.add(String(args.timestamp));
        return { ok: true };
      }
      case 'users.lookupByEmail': {
        const id = this.emails.get(String(args.email));
        return id ? { ok: true, user: { id } } : { ok: false, error: 'users_not_found' };
      }
      case 'usergroups.list':
        return { ok: true, usergroups: [...this.groups.keys()].map((handle, i) => ({ id: `S0GROUP${i}`, handle })) };
      case 'usergroups.users.list': {
        const handle = [...this.groups.keys()][Number(String(args.usergroup).replace('S0GROUP', ''))];
        return handle === undefined ? { ok: false, error: 'no_such_subteam' } : { ok: true, users: this.groups.get(handle) };
      }
      case 'files.getUploadURLExternal': {
        const id = `F0FILE${this.seq++}`;
        return { ok: true, upload_url: `${this.url}upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal': {
        const files = (typeof args.files === 'string' ? JSON.parse(args.files) : args.files) as { id: string }[];
        for (const f of files) {
          const upload = this.uploads.find((u) => u.id === f.id);
          if (!upload) return { ok: false, error: 'file_not_found' };
          upload.complete = args;
        }
        return { ok: true, files };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}

// The Web API client sends form fields, with objects and arrays as JSON.
function parseArgs(raw: string, contentType: string): Record<string, unknown> {
  if (contentType.startsWith('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    args[key] = /^[[{]/.test(value) ? JSON.parse(value) : value;
  }
  return args;
}

// The limits Slack enforces on blocks that firebreak's untrusted text could break.
type Element = { text?: unknown; url?: unknown; value?: unknown };
type BlockJson = { type: string; text?: { text: string }; fields?: { text: string }[]; elements?: Element[] };
function checkBlocks(blocks: unknown): string | undefined {
  if (blocks === undefined) return undefined;
  if (!Array.isArray(blocks) || blocks.length > 50) return 'invalid_blocks';
  const tooLong = (value: unknown, max: number) => value !== undefined && String(value).length > max;
  for (const b of blocks as BlockJson[]) {
    const elements = b.elements ?? [];
    if (b.type === 'header' && tooLong(b.text?.text, 150)) return 'invalid_blocks';
    if (b.type === 'section' && (tooLong(b.text?.text, 3000) || (b.fields ?? []).length > 10 || (b.fields ?? []).some((f) => tooLong(f.text, 2000)))) return 'invalid_blocks';
    if (b.type === 'context' && elements.some((e) => tooLong(e.text, 3000))) return 'invalid_blocks';
    if (b.type === 'actions' && (elements.length > 25 || elements.some((e) => tooLong(e.url, 3000) || tooLong(e.value, 2000)))) return 'invalid_blocks';
  }
  return undefined;
}

/** The file in an upload body: the one part of a multipart/form-data body, or the body itself. */
function uploadedFile(body: Buffer, contentType: string): Buffer {
  const boundary = /boundary=(.+)$/.exec(contentType)?.[1];
  if (!boundary) return body;
  const start = body.indexOf('\r\n\r\n') + 4;
  const end = body.indexOf(`\r\n--${boundary}`, start);
  return body.subarray(start, end < 0 ? body.length : end);
}
