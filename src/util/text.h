/* text.h: text that came from the target or the user, made safe for a
 * terminal.
 *
 * Names, paths and strings read from the target (an executable's path,
 * a tracer's process name, a class name) and file names a user typed
 * may hold control characters: an ESC starts a terminal escape sequence
 * (OSC 52 writes the clipboard, others retitle the window or move the
 * cursor), C1 controls (U+0080..U+009F, C2 80..C2 9F in UTF-8) do the
 * same on many terminals.  Every message and every table cell passes
 * through here; nothing else decides what is printable.  */
#ifndef HI_TEXT_H
#define HI_TEXT_H
#include <stddef.h>

/* The character at P, of at most AVAIL bytes: returns its length in
 * bytes (1..4), and sets *BAD when it must not be printed as it is: a
 * C0 control (below 0x20), DEL, a C1 control (U+0080..U+009F), or a
 * byte that does not start a valid UTF-8 sequence (a lone 0x9b is CSI
 * to a terminal in an 8-bit mode; then the length is 1).  Returns 0
 * when the AVAIL bytes end inside a sequence that may yet be valid.  */
size_t hi_text_next(const unsigned char *p, size_t avail, int *bad);

/* Copy SRC to DST (SIZE bytes, always terminated), writing each control
 * character or invalid byte as a visible escape (\n, \t, \e, \u0085,
 * \xNN); with KEEP_LINES,
 * newlines and tabs pass as they are (for multi-line text that is the
 * user's own, such as a Tcl error).  Returns DST.  */
char *hi_text_escape(char *dst, size_t size, const char *src, int keep_lines);

/* An escaped copy of S (as hi_text_escape, newlines and tabs kept), in
 * malloc'd memory; "(out of memory)" when it cannot be made, never NULL
 * (free it either way).  */
char *hi_text_escape_dup(const char *s);

/* Replace each control character or invalid byte in S by '?' (one per
 * byte), in place: for table
 * cells, whose width must not change.  */
void hi_text_sanitize(char *s);

/* The same for the LEN bytes at S (NULs too), but newlines, tabs and
 * carriage returns are kept: for multi-line output such as a table.  The
 * result is valid UTF-8 with no control characters but those three.  */
void hi_text_clean_lines(char *s, size_t len);

#endif
