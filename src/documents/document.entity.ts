import { defineEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../db/ids.js';
import { User } from '../users/user.entity.js';

export enum DocumentKind {
  /** A signed agreement between an authority and an issuer. */
  AGREEMENT = 'agreement',
  /** The signed request to become orderer (SUS form 9450). */
  ORDERER_REQUEST_FORM = 'orderer_request_form',
  /** A per-employee order form (SUS form 9445/9460). */
  ORDER_FORM = 'order_form',
  /** A specialist's CV, one per sub-area (VIAS). */
  CV = 'cv',
  /** The manager's written approval for administrative staff (VIAS). */
  MANAGER_APPROVAL = 'manager_approval',
}

/**
 * An uploaded file, kept in PostgreSQL with the object it belongs to. The content type is what the
 * bytes are (checked from their signature), not what the client said.
 */
export const DocumentSchema = defineEntity({
  name: 'Document',
  tableName: 'documents',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    kind: p.enum(() => DocumentKind),
    filename: p.string().length(255),
    contentType: p.string().length(100),
    size: p.integer(),
    sha256: p.string().length(64),
    content: p.blob().lazy(),
    uploadedBy: () => p.manyToOne(User).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export class Document extends DocumentSchema.class {}
DocumentSchema.setClass(Document);
