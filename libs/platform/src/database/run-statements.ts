import type { QueryRunner } from 'typeorm';

/** A migration's `up` or `down` that runs `statements` one after the other, in order. */
export function runStatements(statements: string[]): (runner: QueryRunner) => Promise<void> {
  return async (runner) => {
    for (const statement of statements) await runner.query(statement);
  };
}
