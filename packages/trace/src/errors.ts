/** Bad trace input: a malformed endpoint, an unknown pod, service, node or port. The message says which. */
export class TraceInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TraceInputError';
  }
}
