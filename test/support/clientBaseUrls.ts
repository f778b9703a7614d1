/**
 * Where the generated clients in test/generated send their requests: the functions'
 * URLs, set before calling them.
 */
export const clientBaseUrls = { ingest: '', api: '' };
