import { defineEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../db/ids.js';
import { User } from '../users/user.entity.js';

/**
 * A one-time code mailed to a joiner: presented once after signing in, it binds that sign-in to the
 * person. Only the code's SHA-256 is kept; it expires and is used at most once.
 */
export const InvitationSchema = defineEntity({
  name: 'Invitation',
  tableName: 'invitations',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    user: () => p.manyToOne(User).index(),
    codeHash: p.string().length(64).unique(),
    expiresAt: p.datetime(),
    usedAt: p.datetime().nullable(),
    createdBy: () => p.manyToOne(User).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export class Invitation extends InvitationSchema.class {}
InvitationSchema.setClass(Invitation);
