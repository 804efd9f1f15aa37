import { Field, Int, ObjectType } from 'type-graphql';
import { DateTime } from '../graphql/scalars.js';
import { Node } from '../graphql/relay.js';
import { DocumentKind } from './document.entity.js';

@ObjectType('Document', { simpleResolvers: true, implements: Node, description: 'An uploaded file, kept with the object it belongs to.' })
export class DocumentType extends Node {
  @Field(() => DocumentKind)
  kind!: DocumentKind;

  @Field(() => String)
  filename!: string;

  @Field(() => String, { description: 'What the content is, checked from its bytes.' })
  contentType!: string;

  @Field(() => Int, { description: 'Bytes.' })
  size!: number;

  @Field(() => String, { description: 'SHA-256 of the content, hex.' })
  sha256!: string;

  @Field(() => DateTime)
  createdAt!: Date;
}
