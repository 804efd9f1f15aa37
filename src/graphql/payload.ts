import { ProblemsFound } from '../domain/errors.js';
import { userErrorsOf, type UserError } from './user-errors.js';

/**
 * Runs a mutation's work and shapes its payload: business failures become `userErrors` with every
 * other field null (the transaction was rolled back); anything else propagates to be mapped or masked.
 */
export async function withUserErrors<P extends { userErrors: UserError[] }>(
  payload: new () => P,
  work: () => Promise<Omit<P, 'userErrors'>>,
): Promise<P> {
  try {
    return Object.assign(new payload(), await work(), { userErrors: [] });
  } catch (error) {
    if (error instanceof ProblemsFound) return Object.assign(new payload(), { userErrors: userErrorsOf(error) });
    throw error;
  }
}
