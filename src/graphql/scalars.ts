import { DateTimeResolver, EmailAddressResolver, JSONObjectResolver } from 'graphql-scalars';
import { GraphQLScalarType, Kind } from 'graphql';

export const DateTime = DateTimeResolver;
export const EmailAddress = EmailAddressResolver;
export const JSONObject = JSONObjectResolver;

const PHONE = /^\+?[0-9][0-9 ()-]{5,30}$/;

/** A telephone number as people write it, international form preferred ("+46 8 508 000 01"). */
export const PhoneNumber = new GraphQLScalarType({
  name: 'PhoneNumber',
  description: 'A telephone number: digits, spaces, parentheses and dashes, optionally starting with +.',
  serialize: (value) => String(value),
  parseValue: (value) => {
    if (typeof value !== 'string' || !PHONE.test(value.trim())) throw new TypeError('Invalid phone number');
    return value.trim();
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING || !PHONE.test(ast.value.trim())) throw new TypeError('Invalid phone number');
    return ast.value.trim();
  },
});
