/**
 * The one mapping between documentation records and Kaseya BMS records, both directions, one file per
 * record type. Decisions where BMS is unknown are written in docs/mapping.md and implemented only here.
 *
 * Pull: a BMS DTO (camelCase, as the client normalises it) → the record's synced fields. References to
 * other records come out as BMS ids; the caller resolves them to record ids through the links.
 * Push: synced fields → request bodies in the vendor document's PascalCase names, with references given
 * as BMS ids the caller resolved.
 */
export * from './common';
export * from './organization';
export * from './location';
export * from './contact';
export * from './configuration';
