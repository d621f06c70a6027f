const SECRET_VARIABLE = /^FIREBREAK_SECRET_[A-Z][A-Z0-9_]*$/;

/**
 * A playbook secret from the environment, read when a step's action is called and not kept: a value
 * set in the environment (or the .env file read at start) is read each time, never copied into the
 * configuration, logs or database. Reads FIREBREAK_SECRET_… variables only; empty counts as unset.
 */
export function readSecret(variable: string): string | undefined {
  if (!SECRET_VARIABLE.test(variable)) throw new Error(`${variable} is not a FIREBREAK_SECRET_ variable`);
  return process.env[variable] || undefined;
}
