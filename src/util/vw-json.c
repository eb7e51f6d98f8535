#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "vw-fs.h"
#include "vw-json.h"
#include "vw-util-error.h"

/* Objects with at least this many members get a hash index by name. */
#define VW_JSON_INDEX_MIN 8

typedef struct {
    char *name;
    VwJson *value;
} VwJsonMember;

struct _VwJson {
    VwJsonType type;
    union {
        gboolean b;
        gint64 i;
        double d;
        char *s;
        GPtrArray *items; /* of VwJson*, for an array */
        struct {
            GPtrArray *members; /* of VwJsonMember*, in insertion order */
            GHashTable *index;  /* name -> position + 1, once large enough */
        } o;
    } u;
};

/* ------------------------------------------------------------ values */

static VwJson *
vw_json_new(VwJsonType type)
{
    VwJson *v = g_new0(VwJson, 1);

    v->type = type;
    return v;
}

static void
vw_json_member_free(gpointer data)
{
    VwJsonMember *m = data;

    g_free(m->name);
    vw_json_free(m->value);
    g_free(m);
}

void
vw_json_free(VwJson *value)
{
    if (!value)
        return;
    switch (value->type) {
    case VW_JSON_STRING:
        g_free(value->u.s);
        break;
    case VW_JSON_ARRAY:
        g_ptr_array_unref(value->u.items);
        break;
    case VW_JSON_OBJECT:
        g_ptr_array_unref(value->u.o.members);
        if (value->u.o.index)
            g_hash_table_unref(value->u.o.index);
        break;
    default:
        break;
    }
    g_free(value);
}

VwJsonType
vw_json_get_type(const VwJson *value)
{
    g_return_val_if_fail(value != NULL, VW_JSON_NULL);
    return value->type;
}

VwJson *
vw_json_new_null(void)
{
    return vw_json_new(VW_JSON_NULL);
}

VwJson *
vw_json_new_bool(gboolean value)
{
    VwJson *v = vw_json_new(VW_JSON_BOOL);

    v->u.b = !!value;
    return v;
}

VwJson *
vw_json_new_int(gint64 value)
{
    VwJson *v = vw_json_new(VW_JSON_INT);

    v->u.i = value;
    return v;
}

VwJson *
vw_json_new_double(double value)
{
    VwJson *v;

    g_return_val_if_fail(isfinite(value), NULL);
    v = vw_json_new(VW_JSON_DOUBLE);
    v->u.d = value;
    return v;
}

static VwJson *
vw_json_new_string_take(char *value)
{
    VwJson *v = vw_json_new(VW_JSON_STRING);

    v->u.s = value;
    return v;
}

VwJson *
vw_json_new_string(const char *value)
{
    if (!value)
        return vw_json_new_null();
    g_return_val_if_fail(g_utf8_validate(value, -1, NULL), NULL);
    return vw_json_new_string_take(g_strdup(value));
}

VwJson *
vw_json_new_array(void)
{
    VwJson *v = vw_json_new(VW_JSON_ARRAY);

    v->u.items = g_ptr_array_new_with_free_func((GDestroyNotify)vw_json_free);
    return v;
}

VwJson *
vw_json_new_object(void)
{
    VwJson *v = vw_json_new(VW_JSON_OBJECT);

    v->u.o.members = g_ptr_array_new_with_free_func(vw_json_member_free);
    return v;
}

void
vw_json_array_add(VwJson *array, VwJson *element)
{
    g_return_if_fail(array != NULL && array->type == VW_JSON_ARRAY);
    g_return_if_fail(element != NULL);
    g_ptr_array_add(array->u.items, element);
}

guint
vw_json_array_get_length(const VwJson *array)
{
    return array && array->type == VW_JSON_ARRAY ? array->u.items->len : 0;
}

VwJson *
vw_json_array_get(const VwJson *array, guint index)
{
    g_return_val_if_fail(array != NULL && array->type == VW_JSON_ARRAY, NULL);
    g_return_val_if_fail(index < array->u.items->len, NULL);
    return g_ptr_array_index(array->u.items, index);
}

/* Position of member @name of @object, or -1. */
static gssize
vw_json_object_find(const VwJson *object, const char *name, gsize name_len)
{
    GPtrArray *members = object->u.o.members;

    if (object->u.o.index) {
        gpointer pos;

        /* The index is keyed by NUL-terminated names; names never hold NUL. */
        if (strlen(name) != name_len)
            return -1;
        pos = g_hash_table_lookup(object->u.o.index, name);
        return pos ? (gssize)GPOINTER_TO_UINT(pos) - 1 : -1;
    }
    for (guint i = 0; i < members->len; i++) {
        const VwJsonMember *m = g_ptr_array_index(members, i);

        if (strncmp(m->name, name, name_len) == 0 && m->name[name_len] == '\0')
            return (gssize)i;
    }
    return -1;
}

/* Append a member known to be new; takes @name and @value. */
static void
vw_json_object_append(VwJson *object, char *name, VwJson *value)
{
    GPtrArray *members = object->u.o.members;
    VwJsonMember *m = g_new(VwJsonMember, 1);

    m->name = name;
    m->value = value;
    g_ptr_array_add(members, m);
    if (object->u.o.index) {
        g_hash_table_insert(object->u.o.index, m->name, GUINT_TO_POINTER(members->len));
    } else if (members->len >= VW_JSON_INDEX_MIN) {
        object->u.o.index = g_hash_table_new(g_str_hash, g_str_equal);
        for (guint i = 0; i < members->len; i++) {
            VwJsonMember *x = g_ptr_array_index(members, i);

            g_hash_table_insert(object->u.o.index, x->name, GUINT_TO_POINTER(i + 1));
        }
    }
}

void
vw_json_object_set(VwJson *object, const char *name, VwJson *value)
{
    gssize pos;

    g_return_if_fail(object != NULL && object->type == VW_JSON_OBJECT);
    g_return_if_fail(name != NULL && g_utf8_validate(name, -1, NULL));
    g_return_if_fail(value != NULL);

    pos = vw_json_object_find(object, name, strlen(name));
    if (pos >= 0) {
        VwJsonMember *m = g_ptr_array_index(object->u.o.members, pos);

        vw_json_free(m->value);
        m->value = value;
        return;
    }
    vw_json_object_append(object, g_strdup(name), value);
}

void
vw_json_object_set_string(VwJson *object, const char *name, const char *value)
{
    vw_json_object_set(object, name, vw_json_new_string(value));
}

void
vw_json_object_set_int(VwJson *object, const char *name, gint64 value)
{
    vw_json_object_set(object, name, vw_json_new_int(value));
}

void
vw_json_object_set_bool(VwJson *object, const char *name, gboolean value)
{
    vw_json_object_set(object, name, vw_json_new_bool(value));
}

guint
vw_json_object_get_size(const VwJson *object)
{
    return object && object->type == VW_JSON_OBJECT ? object->u.o.members->len : 0;
}

const char *
vw_json_object_get_member_at(const VwJson *object, guint index, VwJson **value)
{
    const VwJsonMember *m;

    g_return_val_if_fail(object != NULL && object->type == VW_JSON_OBJECT, NULL);
    g_return_val_if_fail(index < object->u.o.members->len, NULL);
    m = g_ptr_array_index(object->u.o.members, index);
    if (value)
        *value = m->value;
    return m->name;
}

VwJson *
vw_json_object_get(const VwJson *object, const char *name)
{
    gssize pos;

    g_return_val_if_fail(name != NULL, NULL);
    if (!object || object->type != VW_JSON_OBJECT)
        return NULL;
    pos = vw_json_object_find(object, name, strlen(name));
    return pos >= 0 ? ((VwJsonMember *)g_ptr_array_index(object->u.o.members, pos))->value : NULL;
}

gboolean
vw_json_get_bool(const VwJson *value)
{
    g_return_val_if_fail(value != NULL, FALSE);
    switch (value->type) {
    case VW_JSON_BOOL:
        return value->u.b;
    case VW_JSON_INT:
        return value->u.i != 0;
    case VW_JSON_DOUBLE:
        return value->u.d != 0.0;
    default:
        return FALSE;
    }
}

gint64
vw_json_get_int(const VwJson *value)
{
    g_return_val_if_fail(value != NULL, 0);
    switch (value->type) {
    case VW_JSON_BOOL:
        return value->u.b ? 1 : 0;
    case VW_JSON_INT:
        return value->u.i;
    case VW_JSON_DOUBLE:
        /* -2^63 is exact as a double; 2^63 is the first double above G_MAXINT64. */
        if (value->u.d >= 9223372036854775808.0)
            return G_MAXINT64;
        if (value->u.d <= -9223372036854775808.0)
            return G_MININT64;
        return (gint64)value->u.d;
    default:
        return 0;
    }
}

double
vw_json_get_double(const VwJson *value)
{
    g_return_val_if_fail(value != NULL, 0);
    switch (value->type) {
    case VW_JSON_INT:
        return (double)value->u.i;
    case VW_JSON_DOUBLE:
        return value->u.d;
    default:
        return 0;
    }
}

const char *
vw_json_get_string(const VwJson *value)
{
    g_return_val_if_fail(value != NULL, NULL);
    return value->type == VW_JSON_STRING ? value->u.s : NULL;
}

/* The member the *_with_default getters convert, or NULL for the default:
 * absent, null, an array or an object (json-glib's rules). */
static const VwJson *
vw_json_scalar_member(const VwJson *object, const char *name)
{
    const VwJson *m = vw_json_object_get(object, name);

    if (!m || m->type == VW_JSON_NULL || m->type == VW_JSON_ARRAY || m->type == VW_JSON_OBJECT)
        return NULL;
    return m;
}

const char *
vw_json_object_get_string_member_with_default(const VwJson *object, const char *name,
                                              const char *default_value)
{
    const VwJson *m;

    g_return_val_if_fail(object != NULL && object->type == VW_JSON_OBJECT, default_value);
    g_return_val_if_fail(name != NULL, default_value);
    m = vw_json_scalar_member(object, name);
    return m ? vw_json_get_string(m) : default_value;
}

gint64
vw_json_object_get_int_member_with_default(const VwJson *object, const char *name,
                                           gint64 default_value)
{
    const VwJson *m;

    g_return_val_if_fail(object != NULL && object->type == VW_JSON_OBJECT, default_value);
    g_return_val_if_fail(name != NULL, default_value);
    m = vw_json_scalar_member(object, name);
    return m ? vw_json_get_int(m) : default_value;
}

gboolean
vw_json_object_get_bool_member_with_default(const VwJson *object, const char *name,
                                            gboolean default_value)
{
    const VwJson *m;

    g_return_val_if_fail(object != NULL && object->type == VW_JSON_OBJECT, default_value);
    g_return_val_if_fail(name != NULL, default_value);
    m = vw_json_scalar_member(object, name);
    return m ? vw_json_get_bool(m) : default_value;
}

/* ------------------------------------------------------------ parser */

typedef struct {
    const char *start; /* the text */
    const char *p;     /* read position */
    const char *end;   /* end of the text */
    const char *what;  /* named in errors */
    guint depth;
} VwJsonParser;

/* Set @error for the text at @at: where, then the translated @format. */
G_GNUC_PRINTF(4, 5)
static gboolean
vw_json_fail(const VwJsonParser *ps, const char *at, GError **error, const char *format, ...)
{
    g_autofree char *detail = NULL;
    guint line = 1, column = 1;
    va_list ap;

    for (const char *q = ps->start; q < at; q++) {
        if (*q == '\n') {
            line++;
            column = 1;
        } else if (((guchar)*q & 0xc0) != 0x80) {
            column++; /* columns count characters, not continuation bytes */
        }
    }
    va_start(ap, format);
    detail = g_strdup_vprintf(format, ap);
    va_end(ap);
    g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_CORRUPT,
                _("invalid JSON in '%s' at line %u, column %u (byte %lu): %s"),
                ps->what ? ps->what : _("(text)"), line, column, (unsigned long)(at - ps->start),
                detail);
    return FALSE;
}

/* What is at @at, for an error: 'x', byte 0xNN, or the end of the input. */
static char *
vw_json_describe(const VwJsonParser *ps, const char *at)
{
    guchar c;

    if (at >= ps->end)
        return g_strdup(_("the end of the input"));
    c = (guchar)*at;
    if (c > 0x20 && c < 0x7f)
        return g_strdup_printf("'%c'", c);
    return g_strdup_printf(_("byte 0x%02x"), c);
}

static gboolean
vw_json_unexpected(const VwJsonParser *ps, const char *expected, GError **error)
{
    g_autofree char *found = vw_json_describe(ps, ps->p);

    return vw_json_fail(ps, ps->p, error, _("expected %s, found %s"), expected, found);
}

static void
vw_json_skip_space(VwJsonParser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static gboolean
vw_json_literal(VwJsonParser *ps, const char *lit)
{
    gsize n = strlen(lit);

    if ((gsize)(ps->end - ps->p) < n || memcmp(ps->p, lit, n) != 0)
        return FALSE;
    ps->p += n;
    return TRUE;
}

/* Four hex digits at ps->p (after "\u"). */
static gboolean
vw_json_hex4(VwJsonParser *ps, const char *escape, gunichar *out, GError **error)
{
    gunichar v = 0;

    for (int k = 0; k < 4; k++) {
        if (ps->p + k >= ps->end || !g_ascii_isxdigit(ps->p[k])) {
            g_autofree char *shown = g_strndup(escape, MIN(6, ps->end - escape));

            return vw_json_fail(ps, escape, error,
                                _("invalid escape '%s': \\u needs four hexadecimal digits"), shown);
        }
        v = v * 16 + (gunichar)g_ascii_xdigit_value(ps->p[k]);
    }
    ps->p += 4;
    *out = v;
    return TRUE;
}

/* A string; ps->p is on the opening quote. */
static char *
vw_json_parse_string(VwJsonParser *ps, GError **error)
{
    g_autoptr(GString) out = g_string_new(NULL);
    const char *open = ps->p;

    ps->p++;
    for (;;) {
        guchar c;

        if (ps->p >= ps->end) {
            vw_json_fail(ps, open, error, _("unterminated string"));
            return NULL;
        }
        c = (guchar)*ps->p;
        if (c == '"') {
            ps->p++;
            return g_string_free(g_steal_pointer(&out), FALSE);
        }
        if (c < 0x20) {
            vw_json_fail(ps, ps->p, error,
                         _("control character U+%04X in a string (it must be escaped)"), c);
            return NULL;
        }
        if (c >= 0x80) {
            /* One UTF-8 sequence: g_utf8_validate() refuses overlong forms,
             * surrogates and code points above U+10FFFF. */
            gsize n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
            const char *bad = NULL;

            if (c < 0xc2 || c > 0xf4 || (gsize)(ps->end - ps->p) < n ||
                !g_utf8_validate(ps->p, (gssize)n, &bad) || bad != ps->p + n) {
                vw_json_fail(ps, ps->p, error, _("invalid UTF-8 (byte 0x%02x) in a string"), c);
                return NULL;
            }
            g_string_append_len(out, ps->p, (gssize)n);
            ps->p += n;
            continue;
        }
        if (c != '\\') {
            g_string_append_c(out, (char)c);
            ps->p++;
            continue;
        }

        /* An escape. */
        const char *escape = ps->p;
        gunichar u;

        ps->p++;
        if (ps->p >= ps->end) {
            vw_json_fail(ps, open, error, _("unterminated string"));
            return NULL;
        }
        c = (guchar)*ps->p++;
        switch (c) {
        case '"':
        case '\\':
        case '/':
            g_string_append_c(out, (char)c);
            continue;
        case 'b':
            g_string_append_c(out, '\b');
            continue;
        case 'f':
            g_string_append_c(out, '\f');
            continue;
        case 'n':
            g_string_append_c(out, '\n');
            continue;
        case 'r':
            g_string_append_c(out, '\r');
            continue;
        case 't':
            g_string_append_c(out, '\t');
            continue;
        case 'u':
            break;
        default: {
            g_autofree char *found = vw_json_describe(ps, escape + 1);

            vw_json_fail(ps, escape, error, _("invalid escape: '\\' followed by %s"), found);
            return NULL;
        }
        }
        if (!vw_json_hex4(ps, escape, &u, error))
            return NULL;
        if (u >= 0xdc00 && u <= 0xdfff) {
            vw_json_fail(ps, escape, error, _("unpaired low surrogate '\\u%04x'"), u);
            return NULL;
        }
        if (u >= 0xd800 && u <= 0xdbff) {
            const char *second = ps->p;
            gunichar lo;

            if (!vw_json_literal(ps, "\\u")) {
                vw_json_fail(ps, escape, error, _("unpaired high surrogate '\\u%04x'"), u);
                return NULL;
            }
            if (!vw_json_hex4(ps, second, &lo, error))
                return NULL;
            if (lo < 0xdc00 || lo > 0xdfff) {
                vw_json_fail(ps, escape, error, _("high surrogate '\\u%04x' followed by '\\u%04x'"),
                             u, lo);
                return NULL;
            }
            u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
        }
        if (u == 0) {
            vw_json_fail(ps, escape, error, _("'\\u0000' (a NUL character) in a string"));
            return NULL;
        }
        g_string_append_unichar(out, u);
    }
}

static gboolean
vw_json_isdigit(const VwJsonParser *ps, const char *q)
{
    return q < ps->end && g_ascii_isdigit(*q);
}

/* A number; ps->p is on '-' or a digit. */
static VwJson *
vw_json_parse_number(VwJsonParser *ps, GError **error)
{
    const char *num = ps->p;
    g_autofree char *text = NULL;
    gboolean integer = TRUE;
    gint64 i;
    double d;
    char *endp;

    if (ps->p < ps->end && *ps->p == '-')
        ps->p++;
    if (!vw_json_isdigit(ps, ps->p))
        goto bad;
    if (*ps->p == '0' && vw_json_isdigit(ps, ps->p + 1)) {
        while (vw_json_isdigit(ps, ps->p))
            ps->p++;
        text = g_strndup(num, ps->p - num);
        vw_json_fail(ps, num, error, _("number '%s' has a leading zero"), text);
        return NULL;
    }
    while (vw_json_isdigit(ps, ps->p))
        ps->p++;
    if (ps->p < ps->end && *ps->p == '.') {
        integer = FALSE;
        ps->p++;
        if (!vw_json_isdigit(ps, ps->p))
            goto bad;
        while (vw_json_isdigit(ps, ps->p))
            ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        integer = FALSE;
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (!vw_json_isdigit(ps, ps->p))
            goto bad;
        while (vw_json_isdigit(ps, ps->p))
            ps->p++;
    }
    text = g_strndup(num, ps->p - num);
    if (integer) {
        errno = 0;
        i = g_ascii_strtoll(text, &endp, 10);
        if (errno == 0 && *endp == '\0')
            return vw_json_new_int(i);
        /* Beyond the gint64 range: a double, as RFC 8259 allows. */
    }
    errno = 0;
    d = g_ascii_strtod(text, &endp);
    if (*endp != '\0' || !isfinite(d)) {
        vw_json_fail(ps, num, error, _("number '%s' is out of range"), text);
        return NULL;
    }
    return vw_json_new_double(d);

bad:
    /* Show the token up to the first character that cannot be in a number. */
    while (ps->p < ps->end && (g_ascii_isalnum(*ps->p) || (*ps->p && strchr("+-.", *ps->p))))
        ps->p++;
    text = g_strndup(num, ps->p - num);
    vw_json_fail(ps, num, error, _("invalid number '%s'"), text);
    return NULL;
}

static VwJson *vw_json_parse_value(VwJsonParser *ps, GError **error);

static VwJson *
vw_json_parse_array(VwJsonParser *ps, GError **error)
{
    g_autoptr(VwJson) array = vw_json_new_array();

    ps->p++;
    vw_json_skip_space(ps);
    if (vw_json_literal(ps, "]"))
        return g_steal_pointer(&array);
    for (;;) {
        VwJson *element = vw_json_parse_value(ps, error);

        if (!element)
            return NULL;
        vw_json_array_add(array, element);
        vw_json_skip_space(ps);
        if (vw_json_literal(ps, "]"))
            return g_steal_pointer(&array);
        if (!vw_json_literal(ps, ",")) {
            vw_json_unexpected(ps, _("',' or ']' in an array"), error);
            return NULL;
        }
        vw_json_skip_space(ps);
    }
}

static VwJson *
vw_json_parse_object(VwJsonParser *ps, GError **error)
{
    g_autoptr(VwJson) object = vw_json_new_object();

    ps->p++;
    vw_json_skip_space(ps);
    if (vw_json_literal(ps, "}"))
        return g_steal_pointer(&object);
    for (;;) {
        g_autofree char *name = NULL;
        const char *at = ps->p;
        VwJson *value;

        if (ps->p >= ps->end || *ps->p != '"') {
            vw_json_unexpected(ps, _("a member name (a string)"), error);
            return NULL;
        }
        name = vw_json_parse_string(ps, error);
        if (!name)
            return NULL;
        if (vw_json_object_find(object, name, strlen(name)) >= 0) {
            vw_json_fail(ps, at, error, _("duplicate member name '%s'"), name);
            return NULL;
        }
        vw_json_skip_space(ps);
        if (!vw_json_literal(ps, ":")) {
            vw_json_unexpected(ps, _("':' after a member name"), error);
            return NULL;
        }
        vw_json_skip_space(ps);
        value = vw_json_parse_value(ps, error);
        if (!value)
            return NULL;
        vw_json_object_append(object, g_steal_pointer(&name), value);
        vw_json_skip_space(ps);
        if (vw_json_literal(ps, "}"))
            return g_steal_pointer(&object);
        if (!vw_json_literal(ps, ",")) {
            vw_json_unexpected(ps, _("',' or '}' in an object"), error);
            return NULL;
        }
        vw_json_skip_space(ps);
    }
}

/* A value; white space before it is already skipped. */
static VwJson *
vw_json_parse_value(VwJsonParser *ps, GError **error)
{
    VwJson *value;
    char *s;

    if (ps->p >= ps->end) {
        vw_json_unexpected(ps, _("a value"), error);
        return NULL;
    }
    switch (*ps->p) {
    case '{':
    case '[':
        if (ps->depth >= VW_JSON_MAX_DEPTH) {
            vw_json_fail(ps, ps->p, error, _("arrays and objects nested deeper than %d levels"),
                         VW_JSON_MAX_DEPTH);
            return NULL;
        }
        ps->depth++;
        value = *ps->p == '{' ? vw_json_parse_object(ps, error) : vw_json_parse_array(ps, error);
        ps->depth--;
        return value;
    case '"':
        s = vw_json_parse_string(ps, error);
        return s ? vw_json_new_string_take(s) : NULL;
    default:
        if (*ps->p == '-' || g_ascii_isdigit(*ps->p))
            return vw_json_parse_number(ps, error);
        if (vw_json_literal(ps, "true"))
            return vw_json_new_bool(TRUE);
        if (vw_json_literal(ps, "false"))
            return vw_json_new_bool(FALSE);
        if (vw_json_literal(ps, "null"))
            return vw_json_new_null();
        vw_json_unexpected(ps, _("a value"), error);
        return NULL;
    }
}

VwJson *
vw_json_parse(const char *text, gssize len, const char *what, GError **error)
{
    VwJsonParser ps = { 0 };
    g_autoptr(VwJson) value = NULL;

    g_return_val_if_fail(text != NULL || len == 0, NULL);

    if (len < 0)
        len = (gssize)strlen(text);
    ps.start = ps.p = text;
    ps.end = text + len;
    ps.what = what;
    if (len > VW_JSON_MAX_SIZE) {
        vw_json_fail(&ps, ps.p, error, _("the input has %lu bytes, more than the limit of %d"),
                     (unsigned long)len, VW_JSON_MAX_SIZE);
        return NULL;
    }
    vw_json_skip_space(&ps);
    if (ps.p == ps.end) {
        vw_json_fail(&ps, ps.p, error, _("no value (the input is empty)"));
        return NULL;
    }
    value = vw_json_parse_value(&ps, error);
    if (!value)
        return NULL;
    vw_json_skip_space(&ps);
    if (ps.p != ps.end) {
        g_autofree char *found = vw_json_describe(&ps, ps.p);

        vw_json_fail(&ps, ps.p, error, _("%s after the value"), found);
        return NULL;
    }
    return g_steal_pointer(&value);
}

VwJson *
vw_json_parse_file(const char *path, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autofree char *data = NULL;
    struct stat st;
    gsize len = 0;
    int fd;

    g_return_val_if_fail(path != NULL, NULL);

    /* State files: never through a symbolic link, never more than the limit. */
    fd = vw_fs_open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
    if (fd < 0) {
        int saved = errno;
        g_autofree char *why = vw_fs_strerror(path, saved);

        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, _("cannot read '%s': %s"), path, why);
        return NULL;
    }
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > VW_JSON_MAX_SIZE) {
        close(fd);
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_CORRUPT,
                    _("invalid JSON in '%s': the file has %lu bytes, more than the limit of %d"),
                    path, (unsigned long)st.st_size, VW_JSON_MAX_SIZE);
        return NULL;
    }
    data = vw_fs_read_fd(fd, path, VW_JSON_MAX_SIZE, &len, &local);
    close(fd);
    if (!data) {
        g_set_error_literal(error, VW_UTIL_ERROR,
                            g_error_matches(local, VW_UTIL_ERROR, VW_UTIL_ERROR_INVALID)
                                ? VW_UTIL_ERROR_CORRUPT
                                : VW_UTIL_ERROR_IO,
                            local->message);
        return NULL;
    }
    return vw_json_parse(data, (gssize)len, path, error);
}

/* ------------------------------------------------------------ writer */

/* As json-glib's generator escapes: the short escapes, \u00XX for the other
 * control characters and DEL, valid UTF-8 as is.  Two deviations: json-glib
 * 1.6 writes U+001F raw, which RFC 8259 forbids (and vw_json_parse()
 * refuses), and copies invalid UTF-8 through; here U+001F is escaped and
 * each byte of an invalid sequence becomes \ufffd, so the output is always
 * valid JSON. */
void
vw_json_append_string(GString *out, const char *s)
{
    const char *end;

    g_return_if_fail(out != NULL);
    if (!s) {
        g_string_append(out, "null");
        return;
    }
    end = s + strlen(s);
    g_string_append_c(out, '"');
    while (*s) {
        guchar c = (guchar)*s;
        const char *valid_end;

        switch (c) {
        case '"':
            g_string_append(out, "\\\"");
            break;
        case '\\':
            g_string_append(out, "\\\\");
            break;
        case '\b':
            g_string_append(out, "\\b");
            break;
        case '\f':
            g_string_append(out, "\\f");
            break;
        case '\n':
            g_string_append(out, "\\n");
            break;
        case '\r':
            g_string_append(out, "\\r");
            break;
        case '\t':
            g_string_append(out, "\\t");
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                g_string_append_printf(out, "\\u%04x", c);
            } else if (c < 0x80) {
                g_string_append_c(out, (char)c);
            } else {
                /* A whole valid sequence is copied; a stray byte is replaced. */
                g_utf8_validate(s, MIN(end - s, 4), &valid_end);
                if (valid_end == s) {
                    g_string_append(out, "\\ufffd");
                } else {
                    gsize n = (gsize)g_utf8_skip[c];

                    g_string_append_len(out, s, (gssize)n);
                    s += n;
                    continue;
                }
            }
        }
        s++;
    }
    g_string_append_c(out, '"');
}

static void
vw_json_indent(GString *out, guint level)
{
    for (guint i = 0; i < level; i++)
        g_string_append(out, "  ");
}

static void
vw_json_append(GString *out, const VwJson *v, guint level)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];

    switch (v->type) {
    case VW_JSON_NULL:
        g_string_append(out, "null");
        break;
    case VW_JSON_BOOL:
        g_string_append(out, v->u.b ? "true" : "false");
        break;
    case VW_JSON_INT:
        g_string_append_printf(out, "%" G_GINT64_FORMAT, v->u.i);
        break;
    case VW_JSON_DOUBLE:
        g_ascii_formatd(buf, sizeof(buf), "%.17g", v->u.d);
        g_string_append(out, buf);
        if (strspn(buf, "-0123456789") == strlen(buf))
            g_string_append(out, ".0"); /* read back as a double */
        break;
    case VW_JSON_STRING:
        vw_json_append_string(out, v->u.s);
        break;
    case VW_JSON_ARRAY:
        if (v->u.items->len == 0) {
            g_string_append(out, "[]");
            break;
        }
        g_string_append(out, "[\n");
        for (guint i = 0; i < v->u.items->len; i++) {
            vw_json_indent(out, level + 1);
            vw_json_append(out, g_ptr_array_index(v->u.items, i), level + 1);
            g_string_append(out, i + 1 < v->u.items->len ? ",\n" : "\n");
        }
        vw_json_indent(out, level);
        g_string_append_c(out, ']');
        break;
    case VW_JSON_OBJECT:
        if (v->u.o.members->len == 0) {
            /* sic: json-glib indents the inside of an empty object */
            g_string_append_c(out, '{');
            vw_json_indent(out, level);
            g_string_append_c(out, '}');
            break;
        }
        g_string_append(out, "{\n");
        for (guint i = 0; i < v->u.o.members->len; i++) {
            const VwJsonMember *m = g_ptr_array_index(v->u.o.members, i);

            vw_json_indent(out, level + 1);
            vw_json_append_string(out, m->name);
            g_string_append(out, " : ");
            vw_json_append(out, m->value, level + 1);
            g_string_append(out, i + 1 < v->u.o.members->len ? ",\n" : "\n");
        }
        vw_json_indent(out, level);
        g_string_append_c(out, '}');
        break;
    }
}

char *
vw_json_to_string(const VwJson *value)
{
    GString *out;

    g_return_val_if_fail(value != NULL, NULL);
    out = g_string_new(NULL);
    vw_json_append(out, value, 0);
    return g_string_free(out, FALSE);
}
