/*
 * The parts of ativa-admin shared by its command files (not installed, not a library).
 *
 * Every command returns the process's exit code: 0 done, 1 failed (the message on stderr says
 * what is wrong and how to fix it), 2 wrong usage.
 */
#ifndef ATIVA_ADMIN_H
#define ATIVA_ADMIN_H

#include <ativa/store.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

enum { ADMIN_OK = 0, ADMIN_FAILED = 1, ADMIN_USAGE = 2 };

/** Print the document as JSON on stdout (or the error on stderr); decrefs doc. */
int admin_print_new(ativa_err err, json_t *doc);

/** Print "ativa-admin: <printf>" and a newline on stderr; returns ADMIN_FAILED. */
int admin_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Print "ativa-admin: <printf>" and the usage hint on stderr; returns ADMIN_USAGE. */
int admin_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** A whole decimal number without sign or trailing characters. @return 0 or -1. */
int admin_parse_u64(const char *s, uint64_t *out);

/** The wall clock, ms since the epoch (the tool is outside core, so it may read it). */
int64_t admin_now_ms(void);

/** `agent ...` (admin_agents.c). argv[0] is "agent". */
int admin_agent(ativa_store *st, int argc, char **argv);

/** `attendances ...` (admin_export.c). argv[0] is "attendances". */
int admin_attendances(ativa_store *st, int argc, char **argv);

/** `backup DEST_DIR [--compact]` (admin_export.c). */
int admin_backup(ativa_store *st, int argc, char **argv);

#endif
