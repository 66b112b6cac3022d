// Throwaway redis servers for tests: filled in by the redis store work.
export {};
