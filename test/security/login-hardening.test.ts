/**
 * Logging in and passwords under attack: every spelling of an email counts as one for the throttles,
 * guesses spread over many addresses are limited per email, X-Forwarded-For is believed only from a
 * configured proxy, a flood of logins cannot starve a real one, people cannot choose weak passwords,
 * changing or resetting a password ends the other sessions, sessions have an absolute lifetime, and an
 * email in one account neither shows in nor blocks another.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { LOGIN_FAILURES_ALLOWED, LOGIN_FAILURES_PER_EMAIL_ALLOWED } from '../../api/routes/auth';
import { createUser, LOGIN_ACCOUNTS_CHECKED, SESSION_MAX_MS } from '../../services/accounts';
import { passwordHashesComputed } from '../../services/passwords';
import type { ApiResponse, HttpClient } from '../helpers/api-client';
import { startStack, type Stack } from '../helpers/stack';

const STRONG = 'Velvet-Orbit-Pancake-42';
const STRONGER = 'Quiet-Harbor-Lantern-77';

function uniqueEmail(name: string): string {
  return `${name}-${randomBytes(4).toString('hex')}@test.example`;
}

function fromAddress(client: HttpClient, address: string, body: unknown) {
  return client.call('POST', '/api/v1/auth/login', body, { 'x-forwarded-for': address });
}

describe('login hardening', function () {
  this.timeout(180_000);
  let stack: Stack;

  before(async () => {
    stack = await startStack({ connect: false, worker: false, env: { API_TRUST_PROXY: 'loopback' } });
  });
  after(async () => stack?.stop());

  async function newUser(email: string, password = STRONG, accountId = stack.accountId) {
    return createUser(stack.env.db, { accountId, email, name: 'Pat Person', role: 'editor', password });
  }

  it('counts every spelling of an email as one: İ for i opens no fresh throttle and no one’s account', async () => {
    const email = uniqueEmail('ida');
    await newUser(email);
    for (let i = 0; i < LOGIN_FAILURES_ALLOWED; i++) {
      const res = await stack.anonymous.post('/api/v1/auth/login', { email: email.toUpperCase(), password: `wrong-${i}` });
      assert.equal(res.status, 401);
    }
    const blocked = await stack.anonymous.post('/api/v1/auth/login', { email, password: STRONG });
    assert.equal(blocked.status, 429, 'the upper-case guesses counted for the lower-case email');
    const dotted = await stack.anonymous.post('/api/v1/auth/login', { email: email.replace(/^i/, 'İ'), password: STRONG });
    assert.notEqual(dotted.status, 200, 'a blocked user logged in through another spelling of the email');
    assert.equal(dotted.status, 401, 'İ is not i: it names no user');
  });

  it(`limits failures per email from all addresses together (${LOGIN_FAILURES_PER_EMAIL_ALLOWED})`, async () => {
    const email = uniqueEmail('sprayed');
    await newUser(email);
    const addresses = Math.ceil(LOGIN_FAILURES_PER_EMAIL_ALLOWED / (LOGIN_FAILURES_ALLOWED - 1));
    let guesses = 0;
    for (let a = 0; a < addresses && guesses < LOGIN_FAILURES_PER_EMAIL_ALLOWED; a++) {
      for (let i = 0; i < LOGIN_FAILURES_ALLOWED - 1 && guesses < LOGIN_FAILURES_PER_EMAIL_ALLOWED; i++, guesses++) {
        const res = await fromAddress(stack.anonymous, `203.0.113.${a + 1}`, { email, password: `spray-${a}-${i}` });
        assert.equal(res.status, 401, `guess ${guesses + 1} from address ${a + 1}`);
      }
    }
    const fresh = await fromAddress(stack.anonymous, '198.51.100.7', { email, password: STRONG });
    assert.equal(fresh.status, 429, 'a new address gets no fresh tries for the same email');
    assert.equal(fresh.body.error.code, 'too_many_attempts');
    const other = await fromAddress(stack.anonymous, '198.51.100.7', { email: uniqueEmail('bystander'), password: 'x' });
    assert.equal(other.status, 401, 'other emails are not locked out');
  });

  it('believes X-Forwarded-For only from a configured proxy', async () => {
    const direct = await startStack({ connect: false, worker: false });
    try {
      const email = uniqueEmail('direct');
      await createUser(direct.env.db, { accountId: direct.accountId, email, name: 'D', role: 'editor', password: STRONG });
      for (let i = 0; i < LOGIN_FAILURES_ALLOWED; i++) {
        const res = await fromAddress(direct.anonymous, `203.0.113.${i + 1}`, { email, password: `wrong-${i}` });
        assert.equal(res.status, 401);
      }
      const res = await fromAddress(direct.anonymous, '203.0.113.200', { email, password: STRONG });
      assert.equal(res.status, 429, 'a forged X-Forwarded-For gave a fresh count');
    } finally {
      await direct.stop();
    }
  });

  it('answers a flood of logins quickly with 503 beyond a bounded queue, and a real login still gets in', async () => {
    const email = uniqueEmail('real');
    await newUser(email);
    const started = Date.now();
    // Distinct unknown emails from distinct addresses: no throttle stops them, every one needs a hash.
    const flood = Array.from({ length: 200 }, (_, i) =>
      fromAddress(stack.anonymous, `192.0.2.${i % 250}`, { email: uniqueEmail(`flood${i}`), password: 'not-it' }).then((res) => ({
        status: res.status,
        code: (res.body as { error?: { code?: string } }).error?.code,
        retryAfter: res.headers['retry-after'],
        ms: Date.now() - started,
      })),
    );
    let realLogin: ApiResponse | undefined;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      realLogin = await stack.anonymous.post('/api/v1/auth/login', { email, password: STRONG });
      if (realLogin.status !== 503) break;
      assert.equal(realLogin.headers['retry-after'], '1');
    }
    assert.equal(realLogin?.status, 200, `the real login: ${JSON.stringify(realLogin?.body)}`);
    const answers = await Promise.all(flood);
    const busy = answers.filter((a) => a.status === 503);
    assert.ok(busy.length > 0, 'excess logins were refused instead of queued');
    for (const a of busy) {
      assert.equal(a.code, 'login_busy');
      assert.equal(a.retryAfter, '1');
    }
    for (const a of answers) assert.ok(a.status === 401 || a.status === 503, `flood answer ${a.status}`);
  });

  it('refuses weak passwords wherever a person sets one, naming the field and saying why', async () => {
    for (const password of ['1234567890', '          ', 'password123']) {
      const res = await stack.admin.post('/api/v1/users', { email: uniqueEmail('weak'), name: 'Wendy Weak', role: 'editor', password });
      assert.equal(res.status, 400, `${JSON.stringify(password)} was accepted`);
      assert.equal(res.body.error.code, 'weak_password');
      assert.equal(res.body.error.details.field, 'password');
      assert.match(res.body.error.message, /^password: /);
      assert.ok(res.body.error.details.warning || res.body.error.details.suggestions.length > 0, 'the estimator says why');
    }
    const personal = await stack.admin.post('/api/v1/users', { email: 'wendy.wilder@test.example', name: 'Wendy Wilder', role: 'editor', password: 'wendywilder' });
    assert.equal(personal.status, 400, 'a password made of the person’s own name');

    const email = uniqueEmail('chooser');
    const created = await stack.admin.post('/api/v1/users', { email, name: 'Chris Chooser', role: 'editor', password: STRONG });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const session = await stack.anonymous.post('/api/v1/auth/login', { email, password: STRONG });
    const me = stack.anonymous.withToken(session.body.data.token);
    const change = await me.post('/api/v1/me/password', { currentPassword: STRONG, newPassword: 'qwertyuiop' });
    assert.equal(change.status, 400);
    assert.equal(change.body.error.details.field, 'newPassword');
    const reset = await stack.admin.post(`/api/v1/users/${created.body.data.id}/password`, { password: '1111111111' });
    assert.equal(reset.status, 400);
    assert.equal(reset.body.error.details.field, 'password');
  });

  it('ends the other sessions when people change their password, keeping the one they changed it from', async () => {
    const email = uniqueEmail('changer');
    await newUser(email);
    const login = async (password: string) => stack.anonymous.post('/api/v1/auth/login', { email, password });
    const here = stack.anonymous.withToken((await login(STRONG)).body.data.token);
    const elsewhere = stack.anonymous.withToken((await login(STRONG)).body.data.token);

    const wrong = await here.post('/api/v1/me/password', { currentPassword: 'not-my-password', newPassword: STRONGER });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.error.details.field, 'currentPassword');
    assert.equal((await elsewhere.get('/api/v1/me')).status, 200, 'a refused change ends nothing');

    const changed = await here.post('/api/v1/me/password', { currentPassword: STRONG, newPassword: STRONGER });
    assert.equal(changed.status, 204, JSON.stringify(changed.body));
    assert.equal((await here.get('/api/v1/me')).status, 200, 'the session the change came from goes on');
    assert.equal((await elsewhere.get('/api/v1/me')).status, 401, 'the other session ended');
    assert.equal((await login(STRONG)).status, 401);
    assert.equal((await login(STRONGER)).status, 200);

    const viaKey = await stack.apiKey('editor');
    const byKey = await viaKey.post('/api/v1/me/password', { currentPassword: STRONG, newPassword: STRONGER });
    assert.equal(byKey.status, 403);
    assert.equal(byKey.body.error.code, 'session_required');
  });

  it('ends all of a user’s sessions when an administrator resets their password, only within the account', async () => {
    const email = uniqueEmail('forgetful');
    const user = await newUser(email);
    const session = stack.anonymous.withToken((await stack.anonymous.post('/api/v1/auth/login', { email, password: STRONG })).body.data.token);
    assert.equal((await session.get('/api/v1/me')).status, 200);

    const reset = await stack.admin.post(`/api/v1/users/${user.id}/password`, { password: STRONGER });
    assert.equal(reset.status, 204, JSON.stringify(reset.body));
    assert.equal((await session.get('/api/v1/me')).status, 401, 'the user’s session ended');
    assert.equal((await stack.anonymous.post('/api/v1/auth/login', { email, password: STRONGER })).status, 200);

    const self = (await stack.admin.get('/api/v1/me')).body.data;
    const own = await stack.admin.post(`/api/v1/users/${self.userId}/password`, { password: 'Taken-Over-Without-Current-1' });
    assert.equal(own.status, 403, 'an administrator’s own password needs the current one');
    assert.equal(own.body.error.code, 'current_password_required');
    assert.equal(own.body.error.details.field, 'currentPassword');
    assert.equal((await stack.admin.get('/api/v1/me')).status, 200, 'the session stays');

    const other = await stack.otherAccount();
    const theirs = await other.admin.post(`/api/v1/users/${user.id}/password`, { password: 'Another-Account-Try-1' });
    assert.equal(theirs.status, 404, 'another account cannot reach the user');
    assert.equal((await stack.anonymous.post('/api/v1/auth/login', { email, password: STRONGER })).status, 200, 'their attempt changed nothing');
  });

  it('ends a session at its absolute lifetime however busy it is', async () => {
    const email = uniqueEmail('busy');
    await newUser(email);
    const ok = await stack.anonymous.post('/api/v1/auth/login', { email, password: STRONG });
    const client = stack.anonymous.withToken(ok.body.data.token);
    const { db } = stack.env;
    const sessions = () => db('sessions').where({ user_id: ok.body.data.user.id });
    const lifetimeSeconds = SESSION_MAX_MS / 1000;

    // An hour left of its lifetime, last slid two minutes ago: the slide stops at the lifetime's end.
    await sessions().update({
      created_at: db.raw(`now() - make_interval(secs => ${lifetimeSeconds - 3600})`),
      last_seen_at: db.raw("now() - interval '2 minutes'"),
    });
    assert.equal((await client.get('/api/v1/me')).status, 200);
    const slid = (await sessions().first('created_at', 'expires_at')) as { created_at: Date; expires_at: Date };
    assert.ok(slid.expires_at.getTime() <= slid.created_at.getTime() + SESSION_MAX_MS, 'the expiry slid past the lifetime');

    // Used a moment ago and not idle, but logged in longer ago than the lifetime.
    await sessions().update({ created_at: db.raw(`now() - make_interval(secs => ${lifetimeSeconds + 60})`), expires_at: db.raw("now() + interval '1 hour'") });
    const expired = await client.get('/api/v1/me');
    assert.equal(expired.status, 401);
    assert.equal(expired.body.error.code, 'unauthorized');
  });

  it('keeps emails per account: another account neither sees nor blocks one, the password picks the account', async () => {
    const email = uniqueEmail('shared');
    const mine = await stack.admin.post('/api/v1/users', { email, name: 'Sam Shared', role: 'editor', password: STRONG });
    assert.equal(mine.status, 201);
    const twice = await stack.admin.post('/api/v1/users', { email: email.toUpperCase(), name: 'Sam Again', role: 'editor', password: STRONG });
    assert.equal(twice.status, 409, 'a duplicate within one account');
    assert.equal(twice.body.error.details.field, 'email');

    const other = await stack.otherAccount();
    const theirs = await other.admin.post('/api/v1/users', { email, name: 'Sam Elsewhere', role: 'editor', password: STRONGER });
    assert.equal(theirs.status, 201, `another account was blocked: ${JSON.stringify(theirs.body)}`);

    const intoMine = await stack.anonymous.post('/api/v1/auth/login', { email, password: STRONG });
    assert.equal(intoMine.status, 200);
    assert.equal(intoMine.body.data.user.accountId, stack.accountId);
    const intoTheirs = await stack.anonymous.post('/api/v1/auth/login', { email, password: STRONGER });
    assert.equal(intoTheirs.status, 200);
    assert.equal(intoTheirs.body.data.user.accountId, other.accountId);

    // The same password in two accounts (and another in a third): the person chooses among the two.
    const third = await stack.otherAccount();
    await createUser(stack.env.db, { accountId: third.accountId, email, name: 'Sam Third', role: 'editor', password: 'Third-Account-Secret-9' });
    await other.admin.post(`/api/v1/users/${theirs.body.data.id}/password`, { password: STRONG });
    const ambiguous = await stack.anonymous.post('/api/v1/auth/login', { email, password: STRONG });
    assert.equal(ambiguous.status, 409);
    assert.equal(ambiguous.body.error.code, 'account_required');
    assert.equal(ambiguous.body.error.details.field, 'accountId');
    const listed = (ambiguous.body.error.details.accounts as Array<{ id: string }>).map((a) => a.id).sort();
    assert.deepEqual(listed, [stack.accountId, other.accountId].sort(), 'only the accounts the password opens');
    const chosen = await stack.anonymous.post('/api/v1/auth/login', { email, password: STRONG, accountId: other.accountId });
    assert.equal(chosen.status, 200);
    assert.equal(chosen.body.data.user.accountId, other.accountId);
    const notThere = await stack.anonymous.post('/api/v1/auth/login', { email, password: STRONG, accountId: third.accountId });
    assert.equal(notThere.status, 401, 'naming an account the password does not open');
  });

  it('does the same work to refuse a login whatever accounts hold the email, so its time tells nothing', async () => {
    const [unknown, lone, shared] = [uniqueEmail('nobody'), uniqueEmail('lone'), uniqueEmail('twice')];
    await newUser(lone);
    await newUser(shared);
    const other = await stack.otherAccount();
    await newUser(shared, STRONGER, other.accountId);
    const hashesToRefuse = async (email: string, accountId?: string) => {
      const before = passwordHashesComputed();
      const res = await stack.anonymous.post('/api/v1/auth/login', { email, password: 'Wrong-Guess-Otter-4471', ...(accountId ? { accountId } : {}) });
      assert.equal(res.status, 401, `${email}: ${JSON.stringify(res.body)}`);
      return passwordHashesComputed() - before;
    };
    assert.deepEqual(
      [await hashesToRefuse(unknown), await hashesToRefuse(lone), await hashesToRefuse(shared)],
      [LOGIN_ACCOUNTS_CHECKED, LOGIN_ACCOUNTS_CHECKED, LOGIN_ACCOUNTS_CHECKED],
      'an unknown email, one in one account and one in two accounts cost the same',
    );
    assert.deepEqual([await hashesToRefuse(shared, other.accountId), await hashesToRefuse(unknown, other.accountId)], [1, 1], 'naming the account: one hash');
  });
});
