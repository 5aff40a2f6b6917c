// The tmux server of an end-to-end test file. tmux ends its server when the
// last session closes, and a `new-session` sent while it is shutting down
// fails with "server exited unexpectedly": a test that kills one session and
// opens the next (a console detached, then attached again) raced that
// shutdown, and lost on a loaded machine. Started with `exit-empty off`, the
// server stays until the file's afterAll kills it.

/** tmux arguments that start the server and keep it up with no session. */
export const TMUX_KEEP_SERVER = ['start-server', ';', 'set-option', '-g', 'exit-empty', 'off'];
