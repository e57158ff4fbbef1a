/** File types the yundoc tools know; `dbsheet` files live in the table list instead. */
export type SandboxDocumentType = 'otl' | 'docx' | 'ksheet' | 'pdf';

export interface SandboxComment {
  author: string;
  /** `yyyy-mm-dd hh:mm:ss`, the format WPS uses for times. */
  date: string;
  text: string;
}

/** Identity every cloud file shares, documents and multi-dimensional tables alike. */
export interface SandboxFileIdentity {
  id: string;
  name: string;
  driveId: string;
  linkUrl: string;
  version: number;
  createdAt: number;
  modifiedAt: number;
}

export interface SandboxDocument extends SandboxFileIdentity {
  type: SandboxDocumentType;
  /** The document body as the extract tool returns it. */
  markdown: string;
  comments: SandboxComment[];
}

export interface SandboxField {
  id: string;
  name: string;
  type: string;
}

export interface SandboxRecord {
  id: string;
  /** Keyed by field name. */
  fields: Record<string, unknown>;
}

export interface SandboxSheet {
  id: number;
  name: string;
  fields: SandboxField[];
  records: SandboxRecord[];
}

/** A multi-dimensional table file (WPS "dbsheet", `.dbt`). */
export interface SandboxDbsheet extends SandboxFileIdentity {
  sheets: SandboxSheet[];
}

/** One account's cloud drive. */
export interface AccountFiles {
  driveId: string;
  documents: SandboxDocument[];
  tables: SandboxDbsheet[];
}
