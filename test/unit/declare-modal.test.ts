import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { declareModal, readDeclareSubmission } from '../../src/slack/blocks/declare-modal.js';
import { declareFormWanted } from '../../src/slack/command-parse.js';

describe('the declare modal (Block Kit snapshot and reading)', () => {
  test('/incident declare opens the form only without a title', () => {
    const cases: [string, ReturnType<typeof declareFormWanted>][] = [
      ['declare', { severity: 'sev3' }], ['  Declare  ', { severity: 'sev3' }], ['declare SEV1', { severity: 'sev1' }],
      ['declare sev9', undefined], ['declare db down', undefined], ['declare db down sev2', undefined], ['ack', undefined], ['', undefined],
    ];
    for (const [text, expected] of cases) assert.deepEqual(declareFormWanted(text), expected, text);
  });

  test('the modal', () => {
    const sev = (v: string, t: string) => ({ text: { type: 'plain_text', text: t }, value: v });
    const own = { text: { type: 'plain_text', text: 'Open a channel for it' }, value: 'own' };
    const main = { text: { type: 'plain_text', text: 'Keep it in the incident channel' }, value: 'main' };
    assert.deepEqual(declareModal({ userId: 'U0ALICE01', severity: 'sev2', ownChannel: true, channelId: 'C0GENERAL' }), {
      type: 'modal', callback_id: 'incident_declare',
      title: { type: 'plain_text', text: 'Declare an incident' }, submit: { type: 'plain_text', text: 'Declare' }, close: { type: 'plain_text', text: 'Cancel' },
      private_metadata: '{"channel":"C0GENERAL"}',
      blocks: [
        { type: 'input', block_id: 'title', label: { type: 'plain_text', text: 'Title' },
          element: { type: 'plain_text_input', action_id: 'title_input', max_length: 200, placeholder: { type: 'plain_text', text: 'Checkout returns 500s' } } },
        { type: 'input', block_id: 'severity', label: { type: 'plain_text', text: 'Severity' },
          element: { type: 'static_select', action_id: 'severity_select', initial_option: sev('sev2', 'SEV2 · major, degraded'), options: [
            sev('sev1', 'SEV1 · critical, customers down'), sev('sev2', 'SEV2 · major, degraded'), sev('sev3', 'SEV3 · minor'), sev('sev4', 'SEV4 · low, cosmetic'),
          ] } },
        { type: 'input', block_id: 'description', label: { type: 'plain_text', text: 'What is happening' }, optional: true,
          element: { type: 'plain_text_input', action_id: 'description_input', multiline: true, max_length: 3000 } },
        { type: 'input', block_id: 'commander', label: { type: 'plain_text', text: 'Commander' },
          element: { type: 'users_select', action_id: 'commander_select', initial_user: 'U0ALICE01' } },
        { type: 'input', block_id: 'channel', label: { type: 'plain_text', text: 'Where' },
          element: { type: 'radio_buttons', action_id: 'channel_choice', options: [own, main], initial_option: own } },
      ],
    });
  });

  test('a submission read: spaces folded, empty description dropped, a forged channel in private_metadata ignored', () => {
    const values = {
      title: { title_input: { value: '  db   down ' } }, severity: { severity_select: { selected_option: { value: 'sev1' } } },
      description: { description_input: { value: '   ' } }, commander: { commander_select: { selected_user: 'U0CAROL01' } },
      channel: { channel_choice: { selected_option: { value: 'main' } } },
    };
    assert.deepEqual(readDeclareSubmission({ state: { values }, private_metadata: '{"channel":"<!channel>"}' }), {
      ok: true, submission: { title: 'db down', severity: 'sev1', commander: 'U0CAROL01', ownChannel: false, channelId: undefined },
    });
    const none = readDeclareSubmission({});
    assert.equal(none.ok, false);
    assert.deepEqual(Object.keys(!none.ok ? none.errors : {}), ['title', 'severity', 'channel']);
  });
});
