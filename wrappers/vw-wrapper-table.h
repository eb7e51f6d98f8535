/*
 * The generated table of every function in libvirt's API descriptions, with
 * the error convention it was wrapped under or the reason it was excluded.
 * Only tests link it: it references every wrapper.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef void (*VwWrapperFunc)(void);

typedef struct {
    const char *name;       /* libvirt function */
    const char *api;        /* libvirt, libvirt-qemu, libvirt-lxc or libvirt-admin */
    const char *convention; /* see conventions.txt; "exclude" when not wrapped */
    const char *reason;     /* why this convention (mandatory for exclusions) */
    VwWrapperFunc wrapper;  /* NULL when excluded */
} VwWrapperInfo;

extern const VwWrapperInfo vw_wrapper_table[];
extern const gsize vw_wrapper_table_len;
extern const guint vw_wrapper_n_wrapped;
extern const guint vw_wrapper_n_excluded;

G_END_DECLS
