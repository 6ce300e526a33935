/** Errors raised by the simulated BMS. The HTTP layers map them to the V2 envelope, the V1 envelope or admin JSON. */

/** Input that the real BMS would refuse; `field` names the offending input field as the client spelled it in the DTO. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

/** A request the simulator answers with a specific status and envelope error (e.g. 401 on bad credentials). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly subErrors: string[] | null = null,
  ) {
    super(message);
  }
}

export class SimulatorOptionsError extends Error {
  override readonly name = 'SimulatorOptionsError';
}
