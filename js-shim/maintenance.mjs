// The scheduled task (the cron trigger): the outbox sweep, retention, the re-seal of stored secrets under
// SECRETS_KEY, and expired sign-ins.

import { logEvent } from './log.mjs';
import { sweep } from './outbox.mjs';
import { deliveryConfig } from './policy.mjs';
import { canEncrypt, rotating } from './secrets.mjs';
import { purge, resealSecrets } from './store.mjs';

// The scheduled task: the sweep, retention (raw bodies after RETENTION_DAYS, log rows after four times that),
// then re-sealing with SECRETS_KEY what an older key (SECRETS_KEY_PREVIOUS) or no key sealed: at every run while
// SECRETS_KEY_PREVIOUS is set, else once an hour (values written before key ids, or before SECRETS_KEY was set).
export async function maintain(env, now = Date.now()) {
  await sweep(env, now);
  const day = 24 * 60 * 60 * 1000;
  const { retentionDays } = deliveryConfig(env);
  const purged = await purge(env.DB, now, retentionDays * day, 4 * retentionDays * day);
  if (purged.bodies > 0 || purged.rows > 0) logEvent('retention', purged);
  if (!canEncrypt(env) || (!rotating(env) && new Date(now).getUTCMinutes() !== 0)) return;
  try {
    const { resealed, unreadable, left } = await resealSecrets(env);
    for (const { table, id, reason } of unreadable) logEvent('secret_unreadable', { table, id, reason });
    // Said while anything is left, so that SECRETS_KEY_PREVIOUS is dropped only after a run says left 0.
    if (resealed > 0 || left > 0) logEvent('secrets_resealed', { resealed, unreadable: unreadable.length, left });
  } catch (error) {
    logEvent('secrets_reseal_failed', { error: String(error?.message ?? error) });
  }
}
