import { DateTimeResolver, EmailAddressResolver, JSONObjectResolver } from 'graphql-scalars';
import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';

/** Inputs are also held within 1900–2199 by the input guard (src/graphql/input-guard.ts), which knows the field. */
export const DateTime = new GraphQLScalarType({
  ...DateTimeResolver.toConfig(),
  description: `${DateTimeResolver.description} As input: from 1900-01-01T00:00:00Z through 2199-12-31T23:59:59.999Z.`,
});

/** RFC 5321 caps a forward path at 256 octets, so an address at 254 characters. */
const EMAIL_MAX = 254;
const tooLongEmail = (value: unknown) => typeof value === 'string' && value.length > EMAIL_MAX;

export const EmailAddress = new GraphQLScalarType({
  ...EmailAddressResolver.toConfig(),
  description: `${EmailAddressResolver.description} At most ${EMAIL_MAX} characters.`,
  parseValue: (value) => {
    if (tooLongEmail(value)) throw new TypeError(`An e-mail address has at most ${EMAIL_MAX} characters`);
    return EmailAddressResolver.parseValue(value);
  },
  parseLiteral: (ast: ValueNode, variables?: Record<string, unknown> | null) => {
    if (ast.kind === Kind.STRING && tooLongEmail(ast.value)) throw new TypeError(`An e-mail address has at most ${EMAIL_MAX} characters`);
    return EmailAddressResolver.parseLiteral(ast, variables);
  },
});
export const JSONObject = JSONObjectResolver;

const PHONE = /^\+?[0-9][0-9 ()-]{5,30}$/;
/** What PHONE lets through, and the column's width. */
const PHONE_MAX = 32;

function phone(value: unknown): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text.length > PHONE_MAX || !PHONE.test(text)) throw new TypeError('Invalid phone number');
  return text;
}

/** A telephone number as people write it, international form preferred ("+46 8 508 000 01"). */
export const PhoneNumber = new GraphQLScalarType({
  name: 'PhoneNumber',
  description: `A telephone number: digits, spaces, parentheses and dashes, optionally starting with +; at most ${PHONE_MAX} characters.`,
  serialize: (value) => String(value),
  parseValue: phone,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new TypeError('Invalid phone number');
    return phone(ast.value);
  },
});
