/**
 * Idempotency keys of creates: the answer of the first request with a key, kept for a day. Rows are only
 * ever written in the transaction of the create they answer, so a stored key always has its answer and a
 * failed create leaves its key unused.
 */
import type { Knex } from 'knex';
import type { Db } from './index';

/** How long a key is remembered: a client retrying after a lost answer does so within minutes. */
export const IDEMPOTENCY_KEY_TTL_HOURS = 24;

export interface IdempotentRequest {
  accountId: string;
  key: string;
  /** What the request asked for; the same key with a different request is refused. */
  fingerprint: string;
}

export interface StoredAnswer {
  fingerprint: string;
  status: number;
  answer: unknown;
}

/** The answer stored under a key that has not expired. */
export async function findAnswer(db: Db | Knex.Transaction, accountId: string, key: string): Promise<StoredAnswer | undefined> {
  const row = (await db('idempotency_keys')
    .where({ account_id: accountId, key })
    .andWhereRaw('expires_at > now()')
    .first('fingerprint', 'status', 'answer')) as StoredAnswer | undefined;
  return row;
}

/**
 * Stores the answer under its key, in the transaction that made it. False when another request holds the
 * key: then that request's transaction committed first (the insert waits for it) and this one must roll
 * back and answer with the stored answer.
 */
export async function storeAnswer(trx: Knex.Transaction, request: IdempotentRequest, status: number, answer: unknown): Promise<boolean> {
  await trx('idempotency_keys').where({ account_id: request.accountId }).andWhereRaw('expires_at <= now()').delete();
  const inserted = (await trx('idempotency_keys')
    .insert({
      account_id: request.accountId,
      key: request.key,
      fingerprint: request.fingerprint,
      status,
      answer: JSON.stringify(answer),
      expires_at: trx.raw(`now() + make_interval(hours => ?)`, [IDEMPOTENCY_KEY_TTL_HOURS]),
    })
    .onConflict(['account_id', 'key'])
    .ignore()
    .returning('key')) as unknown[];
  return inserted.length > 0;
}
