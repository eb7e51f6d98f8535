/*
 * A file descriptor that closes itself at the end of its scope.
 */
#pragma once

#include <errno.h>
#include <unistd.h>

#include <glib.h>

G_BEGIN_DECLS

/* A file descriptor closed on scope exit: g_auto(VwFd) fd = -1;  The close
 * keeps errno, so an error set from errno after it still names the cause. */
typedef int VwFd;

static inline void
vw_fd_close(VwFd fd)
{
    int saved = errno;

    close(fd);
    errno = saved;
}

G_DEFINE_AUTO_CLEANUP_FREE_FUNC(VwFd, vw_fd_close, -1)

G_END_DECLS
