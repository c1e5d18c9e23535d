/**
 * The SQL families Celeriac writes dialect-specific statements for. In a file of its own, without
 * typeorm: declarations of the main entry point name it, and must not need typeorm installed.
 */
export type SqlDialect = 'postgres' | 'mysql' | 'sqlite' | 'other';
