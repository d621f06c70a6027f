import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { redactSecrets } from '../../src/lib/redact.js';
import { captureLogs } from '../support/logs.js';

// Shapes of real credentials (made-up values), each with the text that must be left after redaction.
const JWT = 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEyMyIsImV4cCI6MTc2MzcwMDAwMH0.c2lnbmF0dXJlLWJ5dGVz';
const PEM = (kind: string) => `-----BEGIN ${kind}PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nAgEAqXyZ\n-----END ${kind}PRIVATE KEY-----`;
const cases: [string, string, string][] = [
  ['an X-Api-Key header', 'X-Api-Key: 4f9c2a7e61d84b0fa3c5', 'X-Api-Key: [redacted]'],
  ['an api-key header', 'api-key: 4f9c2a7e61d84b0fa3c5\nAccept: */*', 'api-key: [redacted]\nAccept: */*'],
  ['an X-Auth-Token header', '> X-Auth-Token:4f9c2a7e61d84b0fa3c5', '> X-Auth-Token:[redacted]'],
  ['a GitLab Private-Token header', 'Private-Token: abcdEFGH1234', 'Private-Token: [redacted]'],
  ['an Authorization header, its scheme kept', 'Authorization: Bearer opaque-4f9c2a7e61d8', 'Authorization: Bearer [redacted]'],
  ['a Cookie header', 'Cookie: session=4f9c2a7e; theme=dark', 'Cookie: [redacted]'],
  ['a header inside a JSON string', '{"line":"X-Api-Key: 4f9c2a7e61d84b0fa3c5","ok":true}', '{"line":"X-Api-Key: [redacted]","ok":true}'],
  ['a bare JWT', `id_token ${JWT} end`, 'id_token [redacted jwt] end'],
  ['a JWT in JSON', `{"jwt":"${JWT}"}`, '{"jwt":"[redacted jwt]"}'],
  ['an RSA private key', PEM('RSA '), '[redacted private key]'],
  ['an OpenSSH private key', `key:\n${PEM('OPENSSH ')}\ndone`, 'key:\n[redacted private key]\ndone'],
  ['a PKCS#8 private key', PEM(''), '[redacted private key]'],
  ['an encrypted private key', PEM('ENCRYPTED '), '[redacted private key]'],
  ['a private key cut short', `${PEM('EC ').split('\n').slice(0, 2).join('\n')}`, '[redacted private key]'],
  ['a Slack bot token', 'SLACK xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp', 'SLACK [redacted slack token]'],
  ['a Slack user token', 'xoxp-123456789012-1234567890', '[redacted slack token]'],
  ['a Slack app token', 'xapp-1-A0123456789-1234567890-abcdef', '[redacted slack token]'],
  ['a Slack webhook URL', 'posting to https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX now', 'posting to [redacted slack webhook] now'],
  ['a GitHub personal token', 'ghp_0123456789abcdefghijABCDEFGHIJ012345', '[redacted github token]'],
  ['a GitHub app token', 'ghs_0123456789abcdefghijABCDEFGHIJ012345', '[redacted github token]'],
  ['a GitHub fine-grained token', 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz', '[redacted github token]'],
  ['an AWS access key id', 'AKIAIOSFODNN7EXAMPLE', '[redacted aws key id]'],
  ['an AWS session key id', 'ASIAIOSFODNN7EXAMPLE', '[redacted aws key id]'],
  ['an AWS secret key (env)', 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'AWS_SECRET_ACCESS_KEY=[redacted]'],
  ['an AWS secret key (JSON)', '{"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}', '{"SecretAccessKey": "[redacted]"}'],
  ['a Google API key', 'AIzaSyA-0123456789abcdefghijklmnopqrstu', '[redacted google api key]'],
  ['an npm token', 'npm_0123456789abcdefghijABCDEFGHIJ012345', '[redacted npm token]'],
  ['a Linear API key', 'lin_api_0123456789abcdefghijABCDEFGHIJ012345', '[redacted linear key]'],
];

describe('redaction of evidence and logs', () => {
  for (const [name, text, expected] of cases) {
    test(`redacts ${name}`, () => {
      const r = redactSecrets(text);
      assert.equal(r.text, expected);
      assert.ok(r.count >= 1);
    });
  }
  for (const text of [
    'GET /api/v1/services/checkout/rollback 200 in 12ms',
    'up{job="node",instance="db-1:9100"} 1',
    '{"status":"success","data":{"resultType":"vector","result":[]}}',
    'the key point: disks fill at 2%/h',
  ]) test(`leaves alone: ${text}`, () => assert.deepEqual(redactSecrets(text), { text, count: 0 }));

  test('a log line is redacted in its message and in its fields, nested ones included', () => {
    const logs = captureLogs();
    logs.logger.warn({ reason: `the deploy API said: invalid token ${JWT}`, request: { dump: 'X-Api-Key: 4f9c2a7e61d84b0fa3c5' } },
      'step failed: Authorization: Bearer opaque-4f9c2a7e61d8');
    const text = logs.text();
    for (const secret of [JWT, '4f9c2a7e61d84b0fa3c5', 'opaque-4f9c2a7e61d8']) assert.ok(!text.includes(secret), text);
    const line = logs.lines()[0]!;
    assert.equal(line.msg, 'step failed: Authorization: Bearer [redacted]');
    assert.deepEqual(line.request, { dump: 'X-Api-Key: [redacted]' });
  });
});
