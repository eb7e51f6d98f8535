/*
 * A small JSON reader and writer for state files (glib only).
 *
 * The parser is strict RFC 8259: one value, nothing after it but white
 * space; strings valid UTF-8 with every escape (surrogate pairs joined,
 * lone surrogates refused); no duplicate member names; no leading zeros,
 * no "+", no "NaN".  A number without fraction or exponent that fits a
 * gint64 is an integer (VW_JSON_INT), exactly; any other number (one with
 * a fraction or exponent, or an integer beyond the gint64 range) is a
 * double (VW_JSON_DOUBLE); a number beyond the double range is an error.
 * Strings are C strings, so "\u0000" is refused.  Input is limited to
 * VW_JSON_MAX_SIZE bytes and VW_JSON_MAX_DEPTH levels of nesting.
 *
 * The writer prints what json-glib's pretty JsonGenerator prints
 * (2-space indent, "name" : value, members in insertion order), so files
 * written before and after keep their look.  Its string escaping,
 * vw_json_append_string(), is the only one in virtwire.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Limits of vw_json_parse(): bytes of input and levels of nesting. */
#define VW_JSON_MAX_SIZE  (64 * 1024 * 1024)
#define VW_JSON_MAX_DEPTH 64

typedef enum {
    VW_JSON_NULL,
    VW_JSON_BOOL,
    VW_JSON_INT,
    VW_JSON_DOUBLE,
    VW_JSON_STRING,
    VW_JSON_ARRAY,
    VW_JSON_OBJECT,
} VwJsonType;

/* A JSON value; an array or an object owns its elements. */
typedef struct _VwJson VwJson;

/**
 * vw_json_free:
 * @value: (nullable): a value
 *
 * Free @value and everything it holds.
 */
void vw_json_free(VwJson *value);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VwJson, vw_json_free)

/**
 * vw_json_parse:
 * @text: the JSON text (need not be NUL-terminated)
 * @len: its length in bytes, or -1 if it is NUL-terminated
 * @what: (nullable): what the text is (a path...), named in errors
 * @error: (out) (optional): a VW_UTIL_ERROR_CORRUPT error naming @what, the
 *   line, column and byte offset and what was refused
 *
 * Parse @text as one JSON value (see the top of this file for the rules).
 *
 * Returns: (transfer full): the value, or NULL on error
 */
VwJson *vw_json_parse(const char *text, gssize len, const char *what, GError **error);

/**
 * vw_json_parse_file:
 * @path: the file
 * @error: (out) (optional): VW_UTIL_ERROR_IO when @path cannot be read
 *   (G_FILE_ERROR_NOENT's absence is reported that way too),
 *   VW_UTIL_ERROR_CORRUPT when it is not valid JSON
 *
 * Read @path and parse it with vw_json_parse().
 *
 * Returns: (transfer full): the value, or NULL on error
 */
VwJson *vw_json_parse_file(const char *path, GError **error);

/**
 * vw_json_to_string:
 * @value: a value
 *
 * Print @value as json-glib's pretty JsonGenerator does: 2-space indent,
 * `"name" : value`, no newline at the end.
 *
 * Returns: (transfer full): the text
 */
char *vw_json_to_string(const VwJson *value);

/**
 * vw_json_append_string:
 * @out: where to append
 * @s: (nullable): a string, or NULL for null
 *
 * Append @s to @out as one JSON string literal, the way vw_json_to_string()
 * writes every string: `"` and `\` escaped, the short escapes (`\n`, `\t`,
 * `\r`, `\b`, `\f`), `\u00XX` for every other control character and DEL,
 * valid UTF-8 as is and each byte of invalid UTF-8 as `\ufffd`.  The result
 * is always valid JSON.  This is the one JSON string writer of virtwire:
 * whatever writes JSON by hand (the lease file, the CLI) calls it.
 */
void vw_json_append_string(GString *out, const char *s);

/**
 * vw_json_get_type:
 * @value: a value
 *
 * Returns: the type of @value
 */
VwJsonType vw_json_get_type(const VwJson *value);

/**
 * vw_json_new_null:
 *
 * Returns: (transfer full): a new null
 */
VwJson *vw_json_new_null(void);

/**
 * vw_json_new_bool:
 * @value: the boolean
 *
 * Returns: (transfer full): a new boolean
 */
VwJson *vw_json_new_bool(gboolean value);

/**
 * vw_json_new_int:
 * @value: the integer
 *
 * Returns: (transfer full): a new integer
 */
VwJson *vw_json_new_int(gint64 value);

/**
 * vw_json_new_double:
 * @value: a finite double
 *
 * Returns: (transfer full): a new double
 */
VwJson *vw_json_new_double(double value);

/**
 * vw_json_new_string:
 * @value: (nullable): a valid UTF-8 string, or NULL for a null value
 *
 * Returns: (transfer full): a new string (a copy of @value), or a null
 */
VwJson *vw_json_new_string(const char *value);

/**
 * vw_json_new_array:
 *
 * Returns: (transfer full): a new empty array
 */
VwJson *vw_json_new_array(void);

/**
 * vw_json_new_object:
 *
 * Returns: (transfer full): a new empty object
 */
VwJson *vw_json_new_object(void);

/**
 * vw_json_array_add:
 * @array: an array
 * @element: (transfer full): the value to append
 *
 * Append @element to @array.
 */
void vw_json_array_add(VwJson *array, VwJson *element);

/**
 * vw_json_array_get_length:
 * @array: a value
 *
 * Returns: the number of elements of @array, 0 if it is not an array
 */
guint vw_json_array_get_length(const VwJson *array);

/**
 * vw_json_array_get:
 * @array: an array
 * @index: an index below vw_json_array_get_length()
 *
 * Returns: (transfer none): element @index of @array
 */
VwJson *vw_json_array_get(const VwJson *array, guint index);

/**
 * vw_json_object_set:
 * @object: an object
 * @name: the member name (valid UTF-8)
 * @value: (transfer full): the member value
 *
 * Set member @name of @object to @value: a new member goes last, an
 * existing one is replaced in place.
 */
void vw_json_object_set(VwJson *object, const char *name, VwJson *value);

/**
 * vw_json_object_set_string:
 * @object: an object
 * @name: the member name
 * @value: (nullable): the string, or NULL for null
 *
 * vw_json_object_set() with vw_json_new_string(@value).
 */
void vw_json_object_set_string(VwJson *object, const char *name, const char *value);

/**
 * vw_json_object_set_int:
 * @object: an object
 * @name: the member name
 * @value: the integer
 *
 * vw_json_object_set() with vw_json_new_int(@value).
 */
void vw_json_object_set_int(VwJson *object, const char *name, gint64 value);

/**
 * vw_json_object_set_bool:
 * @object: an object
 * @name: the member name
 * @value: the boolean
 *
 * vw_json_object_set() with vw_json_new_bool(@value).
 */
void vw_json_object_set_bool(VwJson *object, const char *name, gboolean value);

/**
 * vw_json_object_get_size:
 * @object: a value
 *
 * Returns: the number of members of @object, 0 if it is not an object
 */
guint vw_json_object_get_size(const VwJson *object);

/**
 * vw_json_object_get_member_at:
 * @object: an object
 * @index: an index below vw_json_object_get_size()
 * @value: (out) (optional) (transfer none): the member's value
 *
 * Returns: (transfer none): the name of member @index, in file order
 */
const char *vw_json_object_get_member_at(const VwJson *object, guint index, VwJson **value);

/**
 * vw_json_object_get:
 * @object: a value
 * @name: a member name
 *
 * Returns: (transfer none) (nullable): member @name of @object, NULL when
 *   there is none or @object is not an object
 */
VwJson *vw_json_object_get(const VwJson *object, const char *name);

/**
 * vw_json_get_bool:
 * @value: a value
 *
 * Returns: the boolean; for an integer or a double, whether it is not 0;
 *   FALSE for anything else
 */
gboolean vw_json_get_bool(const VwJson *value);

/**
 * vw_json_get_int:
 * @value: a value
 *
 * Returns: the integer; a double truncated toward 0 and clamped to the
 *   gint64 range (NaN cannot occur); 1 or 0 for a boolean; 0 for anything else
 */
gint64 vw_json_get_int(const VwJson *value);

/**
 * vw_json_get_double:
 * @value: a value
 *
 * Returns: the double, or the integer as a double; 0 for anything else
 */
double vw_json_get_double(const VwJson *value);

/**
 * vw_json_get_string:
 * @value: a value
 *
 * Returns: (transfer none) (nullable): the string, NULL if @value is not one
 */
const char *vw_json_get_string(const VwJson *value);

/**
 * vw_json_object_get_string_member_with_default:
 * @object: an object
 * @name: a member name
 * @default_value: (nullable): returned when the member is absent, null, an
 *   array or an object
 *
 * As json_object_get_string_member_with_default(): a member holding a
 * number or a boolean gives NULL, not @default_value.
 *
 * Returns: (transfer none) (nullable): the string
 */
const char *vw_json_object_get_string_member_with_default(const VwJson *object, const char *name,
                                                          const char *default_value);

/**
 * vw_json_object_get_int_member_with_default:
 * @object: an object
 * @name: a member name
 * @default_value: returned when the member is absent, null, an array or an
 *   object
 *
 * As json_object_get_int_member_with_default(): otherwise the member is
 * converted as vw_json_get_int() does (a string gives 0).
 *
 * Returns: the integer
 */
gint64 vw_json_object_get_int_member_with_default(const VwJson *object, const char *name,
                                                  gint64 default_value);

/**
 * vw_json_object_get_bool_member_with_default:
 * @object: an object
 * @name: a member name
 * @default_value: returned when the member is absent, null, an array or an
 *   object
 *
 * As json_object_get_boolean_member_with_default(): otherwise the member
 * is converted as vw_json_get_bool() does (a string gives FALSE).
 *
 * Returns: the boolean
 */
gboolean vw_json_object_get_bool_member_with_default(const VwJson *object, const char *name,
                                                     gboolean default_value);

G_END_DECLS
