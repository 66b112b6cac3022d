// Throwaway postgres servers for tests: filled in by the postgres store work.
export {};
