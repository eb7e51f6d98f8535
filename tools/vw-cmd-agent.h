/*
 * `virtwire agent`: runs the agent session (src/glib/vw-session.h) in the
 * foreground.  Its code is in vw-cmd-agent.c; tools/virtwire.c dispatches
 * to it.
 */
#pragma once

/*
 * vw_cmd_agent:
 * @uri: the global -c URI (or its default)
 * @root: the global --root (or its default)
 * @argc: the command's arguments, argv[0] being "agent"
 * @argv: (array length=argc): them
 *
 * Run `virtwire agent [--root DIR] [-c URI]` until SIGINT or SIGTERM,
 * logging to stderr.  The command's own --root and -c win over the global
 * ones.
 *
 * Returns: the exit status: 0 after a signal, 1 when the session cannot
 *     start, 2 for a usage error
 */
int vw_cmd_agent(const char *uri, const char *root, int argc, char **argv);
