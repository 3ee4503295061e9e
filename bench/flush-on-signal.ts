/**
 * Preloaded (`-r`) into a service only when the bench profiles it: `--cpu-prof` writes its file on a normal
 * exit, not when SIGTERM kills the process, so SIGTERM is turned into an exit. A service that handles SIGTERM
 * itself gets 3 s to close first.
 */
process.once('SIGTERM', () => {
  if (process.listenerCount('SIGTERM') === 0) process.exit(0);
  setTimeout(() => process.exit(0), 3000).unref();
});
