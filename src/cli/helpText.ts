// The help of `megatest` and of each command (`megatest <command> --help`):
// what the commands take, in the words of DESIGN §2. Every line fits 80
// columns: at 80x24, a new person's first `megatest --help` had 14 of its
// lines wrapped mid-word by the terminal, and its first commands scrolled off.

import { MEGATEST_VERSION } from '../version.js';

export const HELP: Record<string, string> = {
  main: `megatest ${MEGATEST_VERSION} — AI coding agents on a whole project for hours, watched live

usage: megatest <command> [options]

commands:
  run [PROJECT] [HOURS] [AGENTS]      start a session, watched in the console
  attach [SESSION|DIR]                the live console on a running session
  replay DIR|ID                       replay a run folder in the console
  resume DIR|ID                       continue a session from a checkpoint
  checkpoint|compress|pause|continue|stop [SESSION]   control a running session
  restore [SESSION] --checkpoint ID   put a run back to a checkpoint
  checkpoints verify DIR|ID           check that every checkpoint is usable
  status [SESSION]                    one status block
  report DIR|ID                       (re)build the final report
  ls                                  list runs (the original runner's too)
  clean --older-than 7d               delete runs that ended before then
  compare A B [C…]                    runs side by side, with the seed's bands
  import --agent KIND FILE...         recorded agent output as a run folder
  config check FILE | config print    validate a config; print the resolved one
  config migrate OLD.toml             an old config in today's form

Run \`megatest <command> --help\` (or \`megatest help <command>\`) for its options.`,
  run: `usage: megatest run [PROJECT] [HOURS] [AGENTS] [options]

  PROJECT   project template: task_queue (RedQueue), database (MiniDB),
            microservices (ServiceMesh), or one of your own
  HOURS     session length in hours, 1-24 (as run_mega_test.sh took it)
  AGENTS    number of agents, 1-16

options:
  --config FILE             a TOML file over the defaults
                            (see config/mega_test_config.toml)
  --preset NAME             mini 1h | standard 4h | mega 8h | stress 12h
  --duration D              6h, 90m, 45s, 1h30m (10s to 24h); overrides HOURS
  --agents N                number of agents, 1-16
  --agent KIND              sim (default, a labelled simulation) | command |
                            selfware | claude-code | codex
  --agent-cmd "CMD"         the command for --agent command (speaks the JSONL
                            protocol; it runs in the run's project/ folder, so
                            give the paths in it in full)
  --session-id ID           run folder name (default mega-YYYYMMDD-HHMMSS-xxxx)
  --runs-dir DIR            where run folders go (default test_runs)
  --checkpoint-interval MIN minutes between time checkpoints
  --seed N                  seed of the sim agents
  --port N                  control API port (default 8080, the next free one
                            if taken)
  --control-host HOST       bind the control API elsewhere than 127.0.0.1
                            (warns; off by default)
  --theme NAME              dark | light | high-contrast | mono
  --ascii                   ASCII borders and charts
  --headless                plain progress lines, no console (the default
                            without a terminal, or with CI set)

environment (as run_mega_test.sh read it):
  CONFIG_FILE               the config file, where --config is not given
  CHECKPOINT_INTERVAL       minutes between time checkpoints, where
                            the option is not given`,
  attach: `usage: megatest attach [SESSION|DIR] [--runs-dir DIR] [--theme NAME] [--ascii]
  Opens the console on a running session (default: the newest running one).`,
  resume: `usage: megatest resume DIR|ID [--checkpoint ID] [--runs-dir D] [--headless]
                       [--theme NAME] [--ascii]
                       [--agent KIND] [--agent-cmd "CMD"] [--model M]
  Continues a crashed or interrupted session from its newest valid checkpoint
  (or the named one). A finished run (completed, failed, timeout) is never
  overwritten: it goes on from checkpoint K in a new run folder <id>-from-<K>
  beside it, optionally with another agent (--agent, --agent-cmd) or model
  (--model).`,
  report: `usage: megatest report DIR|ID [--format md|json|junit] [--runs-dir D]
  Rebuilds final_report.json, final_report.md and junit.xml from the run
  folder, and prints one of them. A legacy folder (of the original
  test_runner.py / run_mega_test.sh) is converted on the fly and its report
  only printed: nothing is written into it; so is a running session's, as of
  now.`,
  config: `usage: megatest config check FILE (or --config FILE)
       megatest config print [--config FILE] [--preset NAME] [run options]
       megatest config migrate OLD.toml
  Keys a file sets that megatest does not act on are named on stderr, with
  the reason.`,
  status: `usage: megatest status [SESSION] [--json] [--runs-dir DIR]

  One status block of a session: its status, time, tokens, tests, coverage,
  lines of code, tasks, errors, recoveries and newest checkpoint. From the
  running orchestrator when there is one, else read from the run folder's
  files (and said so). SESSION is a session id under DIR (default test_runs)
  or a run folder; without it, the newest running session under DIR.
  --json prints the same as one JSON object.`,
  control: `usage: megatest checkpoint|compress|pause|continue|stop [SESSION]
                [--runs-dir DIR]
       megatest compress [SESSION] --agent NAME    (one agent's context only)
       megatest restore [SESSION] --checkpoint ID [--runs-dir DIR]`,
  orchestrate: `usage: megatest orchestrate DIR [--resume] [--checkpoint ID]
  Internal: runs a prepared session's orchestrator in the foreground (what run
  and resume start).`,
};
