// The small helpers the Worker and the pages share (js-shim/shared/), without a Worker: bytes as hex and
// base64url, the public base URL, the limits stated in words, and a Discord webhook URL's path.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { webhookPath } from '../../../js-shim/shared/destination.mjs';
import { base64url, fromBase64url, hex, textFromBase64url, textToBase64url } from '../../../js-shim/shared/encoding.mjs';
import { sizeInWords } from '../../../js-shim/shared/limits.mjs';
import { hookUrl, oauthCallbackUrl, publicBaseUrl, publicOrigin } from '../../../js-shim/shared/public-url.mjs';

test('hex writes two lowercase digits a byte, from bytes or a buffer', () => {
  assert.equal(hex(new Uint8Array([0, 1, 0xab, 0xff])), '0001abff');
  assert.equal(hex(new Uint8Array([0x10, 0x0f]).buffer), '100f');
  assert.equal(hex(new Uint8Array(0)), '');
});

test('base64url is URL-safe without padding, and reads back padded or not, URL-safe or not', () => {
  const bytes = new Uint8Array([0xfb, 0xff, 0xbf, 0x00]);
  assert.equal(base64url(bytes), '-_-_AA');
  assert.deepEqual(fromBase64url('-_-_AA'), bytes);
  assert.deepEqual(fromBase64url('+/+/AA=='), bytes);
  // Past one slice of String.fromCharCode's arguments.
  const large = Uint8Array.from({ length: 0x8000 * 2 + 3 }, (_, i) => i % 251);
  assert.deepEqual(fromBase64url(base64url(large)), large);
  assert.throws(() => fromBase64url('a'), /./);
});

test('text goes through base64url as UTF-8', () => {
  assert.equal(textToBase64url('1700000000000.abc'), Buffer.from('1700000000000.abc').toString('base64url'));
  assert.equal(textFromBase64url(textToBase64url('{"next":"é"}')), '{"next":"é"}');
});

test('the public base URL is PUBLIC_BASE_URL without trailing slashes, else the origin given', () => {
  assert.equal(publicBaseUrl('', 'http://127.0.0.1:8787'), 'http://127.0.0.1:8787');
  assert.equal(publicBaseUrl(undefined, 'http://127.0.0.1:8787'), 'http://127.0.0.1:8787');
  assert.equal(publicBaseUrl(' https://relay.example/base// ', 'http://x'), 'https://relay.example/base');
  assert.equal(publicOrigin('https://relay.example/base/', 'http://x'), 'https://relay.example');
  assert.equal(publicOrigin('not a url', 'http://x'), 'http://x');
  assert.equal(hookUrl('https://relay.example', 'ep_1'), 'https://relay.example/hooks/ep_1');
  assert.equal(oauthCallbackUrl('https://relay.example'), 'https://relay.example/oauth/bitbucket/callback');
});

test('sizes read as the pages state them', () => {
  assert.equal(sizeInWords(1024 * 1024), '1 MiB');
  assert.equal(sizeInWords(2 * 1024 * 1024), '2 MiB');
  assert.equal(sizeInWords(262144), '262,144 bytes');
});

test('a Discord webhook path gives its id and token, and a message id for one of its messages', () => {
  assert.deepEqual(webhookPath('/api/webhooks/123/tok_en-1'), { id: '123', token: 'tok_en-1' });
  assert.deepEqual(webhookPath('/api/v10/webhooks/123/tok/'), { id: '123', token: 'tok' });
  assert.deepEqual(webhookPath('/api/webhooks/123/tok/messages/456'), { id: '123', token: 'tok', message: '456' });
  for (const path of ['/api/webhooks/123', '/api/webhooks/abc/tok', '/api/webhooks/123/tok/extra', '/webhooks/1/t', '/api/webhooks/…']) {
    assert.equal(webhookPath(path), null, path);
  }
});
