/**
 * The path of every API request (V2 and V1):
 *
 *   route lookup in the contract -> rate limit -> injected fault -> body read -> contract check
 *   (violations recorded) -> bearer token -> 400 if the check failed -> handler -> answer.
 *
 * The rate limiter counts a request before anything can fail it, as a gateway would, so a request
 * that later fails auth or validation still used a slot. Contract violations are recorded even when
 * the request then fails authentication, so a client bug is seen on its first attempt.
 *
 * Every step acts on one tenant, chosen first: by the bearer token (one map lookup) on ordinary
 * routes, by the form's tenant on a log-in (whose body is therefore read before the rate limit), and
 * by the refresh token on a refresh. A request that names no known tenant (no token, an unknown one,
 * an unknown tenant at log-in) is the default tenant's: counted in its windows and answered by it, so
 * it fails as a bad token or bad credentials would.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import querystring from 'node:querystring';
import { TOKEN_KIND } from './auth';
import type { RouteMatch } from './contract';
import { ApiError, NotFoundError, ValidationError } from './errors';
import { DEFAULT_SLOW_MS, FAULT_MODES_AFTER_COMMIT, type FaultRuleState } from './faults';
import {
  type ApiResponse,
  BodyTooLargeError,
  errorEnvelope,
  fail,
  parseBody,
  readBody,
  renderBody,
  send,
  unauthorizedEmpty,
  v1Fail,
} from './http';
import { accountRoutes } from './routes/accounts';
import { assetRoutes } from './routes/assets';
import type { HandlerContext, RouteTable } from './routes/common';
import { contactRoutes } from './routes/contacts';
import { lookupRoutes } from './routes/lookups';
import { securityRoutes } from './routes/security';
import { v1Routes } from './routes/v1';
import type { SimulatorHub, SimulatorState } from './state';

const HANDLERS: RouteTable = {
  ...securityRoutes,
  ...accountRoutes,
  ...contactRoutes,
  ...assetRoutes,
  ...lookupRoutes,
  ...v1Routes,
};

type Style = 'v2' | 'v1';

/** Log-in routes: the tenant comes from the form's tenant field. */
const LOGIN_ROUTES: ReadonlySet<string> = new Set(['POST /v2/security/authenticate', 'POST /api/token']);
/** The tenant comes from the refresh (or access) token in the form. */
const REFRESH_ROUTE = 'POST /v2/security/refreshtoken';
const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** A form field by name, case-insensitively (as ASP.NET binds). */
function formField(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(body)) {
    if (key.toLowerCase() === wanted && typeof value === 'string') return value;
  }
  return undefined;
}

function errorResponse(style: Style, status: number, message: string, subErrors: string[] | null = null): ApiResponse {
  return style === 'v2' ? fail(status, message, subErrors) : v1Fail(status, message);
}

function withHeader(response: ApiResponse, name: string, value: string): ApiResponse {
  return { ...response, headers: { ...response.headers, [name]: value } };
}

function faultResponse(fault: FaultRuleState, style: Style): ApiResponse {
  const retryAfter = fault.retryAfterSeconds === undefined ? undefined : String(fault.retryAfterSeconds);
  switch (fault.mode) {
    case 'http-500':
      return errorResponse(style, 500, 'An unexpected error occurred (injected fault).');
    case 'http-503': {
      const response: ApiResponse = { status: 503, text: 'Service Unavailable', contentType: 'text/plain; charset=utf-8' };
      return retryAfter === undefined ? response : withHeader(response, 'retry-after', retryAfter);
    }
    case 'http-429': {
      const response = errorResponse(style, 429, 'Too many requests (injected fault).');
      return retryAfter === undefined ? response : withHeader(response, 'retry-after', retryAfter);
    }
    case 'success-false':
      return style === 'v2'
        ? { status: 200, json: errorEnvelope(500, 'The operation could not be completed (injected fault).') }
        : { status: 200, json: { ResponseCode: 1, Status: 'Error', Error: 'The operation could not be completed (injected fault).', Result: null } };
    case 'html':
      return {
        status: 502,
        contentType: 'text/html; charset=utf-8',
        text: '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><p>The proxy server received an invalid response from an upstream server.</p></body></html>',
      };
    case 'problem-details':
      return {
        status: 400,
        contentType: 'application/problem+json; charset=utf-8',
        text: JSON.stringify({
          type: 'https://tools.ietf.org/html/rfc9110#section-15.5.1',
          title: 'One or more validation errors occurred.',
          status: 400,
          errors: { $: ['The request could not be processed (injected fault).'] },
          traceId: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00',
        }),
      };
    case 'unauthorized':
      return unauthorizedEmpty();
    case 'wrong-envelope':
      // Valid JSON in a shape no BMS answer has.
      return { status: 200, json: { data: { unexpected: true }, status: 'OK' } };
    default:
      return errorResponse(style, 500, `fault mode ${fault.mode} has no direct answer`);
  }
}

export function createApiPipeline(hub: SimulatorHub): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const declared = new Set(hub.contract.routeKeys());
  for (const key of Object.keys(HANDLERS)) {
    if (!declared.has(key)) throw new Error(`simulator handler ${key} has no route in the contract`);
  }

  function record(sim: SimulatorState, req: IncomingMessage, route: RouteMatch | undefined, path: string, status: number): void {
    sim.stats.record({ method: req.method ?? 'GET', route: route?.key ?? null, path, status });
  }

  function drop(sim: SimulatorState, req: IncomingMessage, route: RouteMatch, path: string): void {
    req.socket.destroy();
    record(sim, req, route, path, 0);
  }

  function tenantOfToken(authorization: string | undefined): SimulatorState {
    if (authorization === undefined || hub.tenantCount === 1) return hub.defaultTenant;
    const token = BEARER.exec(authorization)?.[1];
    return (token === undefined ? undefined : hub.tokenOwner(token)) ?? hub.defaultTenant;
  }

  function tenantOfForm(routeKey: string, body: unknown): SimulatorState {
    if (routeKey === REFRESH_ROUTE) {
      const refresh = formField(body, 'RefreshToken');
      const access = formField(body, 'AccessToken');
      return (refresh && hub.tokenOwner(refresh)) || (access && hub.tokenOwner(access)) || hub.defaultTenant;
    }
    const tenant = formField(body, 'Tenant');
    return (tenant === undefined ? undefined : hub.tenant(tenant)) ?? hub.defaultTenant;
  }

  async function runHandler(sim: SimulatorState, route: RouteMatch, style: Style, ctx: HandlerContext): Promise<ApiResponse> {
    const handler = HANDLERS[route.key];
    if (!handler) return errorResponse(style, 501, `${route.key} is declared in the API document but not simulated.`);
    try {
      return await handler(ctx);
    } catch (err) {
      if (err instanceof ValidationError) return errorResponse(style, 400, err.message, err.field ? [err.field] : null);
      if (err instanceof NotFoundError) return errorResponse(style, 404, err.message);
      if (err instanceof ApiError) return errorResponse(style, err.status, err.message, err.subErrors);
      sim.logger.error({ err, route: route.key }, 'simulator handler failed');
      return errorResponse(style, 500, 'An unexpected error occurred.');
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? {} : querystring.parse(url.slice(q + 1));
    const style: Style = /^\/api(\/|$)/i.test(path) ? 'v1' : 'v2';

    const { route, violation } = hub.contract.match(method, path);
    if (!route) {
      const sim = tenantOfToken(req.headers.authorization);
      const message = violation?.message ?? `no route for ${method} ${path}`;
      sim.stats.addViolation(method, path, [message]);
      const response = errorResponse(style, message.startsWith('method ') ? 405 : 404, message);
      send(res, response);
      record(sim, req, undefined, path, response.status);
      return;
    }

    const contentType = req.headers['content-type'];
    let sim: SimulatorState;
    let parsed: { body: unknown; problem?: string } | undefined;
    if (LOGIN_ROUTES.has(route.key) || route.key === REFRESH_ROUTE) {
      // The tenant is in the form, so the body is read before the rate limit (a gateway would read it too).
      try {
        parsed = await parseBody(await readBody(req), contentType);
      } catch (err) {
        if (!(err instanceof BodyTooLargeError)) throw err;
        send(res, errorResponse(style, 413, err.message));
        record(hub.defaultTenant, req, route, path, 413);
        return;
      }
      sim = tenantOfForm(route.key, parsed.body);
    } else {
      sim = tenantOfToken(req.headers.authorization);
    }

    const routeStats = sim.stats.route(route.key);
    const decision = sim.limiter.acquire(route.key);
    if (!decision.ok) {
      routeStats.rejected429++;
      const limit = sim.limiter.current;
      const response = withHeader(
        errorResponse(
          style,
          429,
          `API call limit exceeded for ${route.key}: ${limit?.limit ?? 0} requests per ${limit?.windowSeconds ?? 0} seconds. Retry after ${decision.retryAfterSeconds} seconds.`,
        ),
        'retry-after',
        String(decision.retryAfterSeconds),
      );
      send(res, response);
      record(sim, req, route, path, 429);
      return;
    }
    routeStats.served++;

    const fault = sim.faults.pick(route.key);
    if (fault) {
      routeStats.faulted++;
      if (fault.mode === 'drop') {
        drop(sim, req, route, path);
        return;
      }
      if (!FAULT_MODES_AFTER_COMMIT.has(fault.mode)) {
        const response = faultResponse(fault, style);
        send(res, response);
        record(sim, req, route, path, response.status);
        return;
      }
    }

    if (!parsed) {
      try {
        parsed = await parseBody(await readBody(req), contentType);
      } catch (err) {
        if (!(err instanceof BodyTooLargeError)) throw err;
        send(res, errorResponse(style, 413, err.message));
        record(sim, req, route, path, 413);
        return;
      }
    }
    const checked = sim.contract.check({ method, path, query, contentType, body: parsed.body });
    const problems = [...(parsed.problem === undefined ? [] : [parsed.problem]), ...checked.violations.map((v) => v.message)];
    if (problems.length > 0) sim.stats.addViolation(method, path, problems);

    let response: ApiResponse | undefined;
    let userId = 0;
    if (!route.anonymous) {
      const auth = sim.auth.verify(req.headers.authorization, route.api === 'v1' ? TOKEN_KIND.v1 : TOKEN_KIND.v2);
      if (auth.ok) userId = auth.userId;
      else
        response =
          style === 'v2'
            ? unauthorizedEmpty(auth.reason)
            : { status: 401, json: { Message: 'Authorization has been denied for this request.' } };
    }
    if (!response && problems.length > 0) response = errorResponse(style, 400, problems.join('; '), problems);
    response ??= await runHandler(sim, route, style, {
      sim,
      params: checked.pathParams,
      query: checked.query,
      body: checked.body,
      userId,
    });

    // The request is processed first, so a client that times out has still had its write applied.
    if (fault?.mode === 'slow') await sim.sleep(fault.delayMs ?? DEFAULT_SLOW_MS);
    if (fault?.mode === 'drop-after-commit') {
      drop(sim, req, route, path);
      return;
    }
    if (fault?.mode === 'truncated-json') {
      // An empty answer (e.g. a DELETE) still gets a cut-off envelope, so the client sees broken JSON.
      const full = renderBody(response).body || JSON.stringify({ success: true, error: null, result: null });
      const cut = full.slice(0, Math.max(1, Math.floor(full.length / 2)));
      send(res, { status: 200, text: cut, contentType: 'application/json; charset=utf-8' });
      record(sim, req, route, path, 200);
      return;
    }
    send(res, response);
    record(sim, req, route, path, response.status);
    sim.logger.debug({ method, path, status: response.status }, 'bms request');
  }

  return async (req, res) => {
    try {
      await handle(req, res);
    } catch (err) {
      hub.logger.error({ err }, 'simulator request failed');
      send(res, fail(500, 'An unexpected error occurred.'));
    }
  };
}
