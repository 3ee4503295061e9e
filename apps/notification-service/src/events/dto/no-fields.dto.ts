/**
 * The body of a request that takes none (a single retry): absent or `{}`. Any field in it is a 400
 * ("property x should not exist"), as in every other body, rather than ignored: a caller who sends
 * one expects it to mean something.
 */
export class NoFieldsDto {}
