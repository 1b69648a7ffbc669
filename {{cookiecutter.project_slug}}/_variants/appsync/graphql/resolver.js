// The unit resolver of every field (APPSYNC_JS runtime 1.0.0): AppSync has already checked
// the request against schema.graphql; the function validates the arguments again.
import { util } from '@aws-appsync/utils';

// What the function receives: the field, its arguments and the caller. Never the request's
// headers, which hold the caller's token.
export function request(ctx) {
  return {
    operation: 'Invoke',
    payload: {
      arguments: ctx.arguments,
      identity: ctx.identity,
      info: { parentTypeName: ctx.info.parentTypeName, fieldName: ctx.info.fieldName },
    },
  };
}

// The function answers {data}, or {error: {type, message, errors}} for a request it refuses;
// when it fails (ctx.error) or answers nothing, the caller learns none of it: its message may
// hold internals.
export function response(ctx) {
  if (ctx.error) {
    util.error('Internal error', 'InternalFailure');
  }
  const answer = ctx.result;
  if (!answer) {
    util.error('Internal error', 'InternalFailure');
  }
  if (answer.error) {
    util.error(answer.error.message, answer.error.type, null, { errors: answer.error.errors });
  }
  return answer.data === undefined ? null : answer.data;
}
