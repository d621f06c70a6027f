import type { ActionParams } from '../playbooks/action-params.js';
import type { Action } from '../runner/action.js';

/**
 * `wait`: the runner holds the step (durably, as a delayed job, without a worker slot) until its
 * duration has passed since it first started; it then runs this, which only records the wait.
 */
export function createWaitAction(): Action {
  return {
    async run(raw) {
      const { duration } = raw as ActionParams['wait'];
      return { output: { waited: duration }, summary: `waited ${duration}` };
    },
  };
}
