// Throwaway memcached servers for tests: filled in by the memcached store work.
export {};
