#include <config.h>

#include <string.h>
#include <unistd.h>

#include "vw-fault.h"

/* The list of steps, NULL-terminated; NULL when the variable is unset or empty. */
static char **
vw_fault_steps(void)
{
    static gsize once = 0;
    static char **steps = NULL;

    if (g_once_init_enter(&once)) {
        const char *env = g_getenv(VW_FAULT_ENV);

        if (env && *env) {
            steps = g_strsplit(env, ",", -1); /* kept for the life of the process */
            for (char **s = steps; *s; s++)
                g_strstrip(*s);
        }
        g_once_init_leave(&once, 1);
    }
    return steps;
}

void
vw_fault_point(const char *step)
{
    char **steps = vw_fault_steps();

    if (G_LIKELY(!steps) || !step)
        return;
    for (char **s = steps; *s; s++) {
        if (strcmp(*s, step) == 0)
            _exit(VW_FAULT_EXIT_CODE);
    }
}

gboolean
vw_fault_armed(void)
{
    return vw_fault_steps() != NULL;
}
