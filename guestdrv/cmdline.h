/* cmdline.h: kernel command line options (cmdline.c). */
#ifndef MINIOS_CMDLINE_H
#define MINIOS_CMDLINE_H

#include <stdbool.h>
#include <stdint.h>

/* Parse the command line; reports bad words on the console. */
void cmdline_parse(const char *s);
/* Value of a string option (its default if not given), NULL if no such. */
const char *cmdline_str(const char *key);
/* Value of a number option (its default if not given), 0 if no such. */
uint64_t cmdline_num(const char *key);
/* Was the option given on the command line (with a valid value)? */
bool cmdline_isset(const char *key);

#endif
