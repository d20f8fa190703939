/* Helpers shared by the unit tests: fixtures on disk and scratch directories. */
#ifndef ATIVA_TEST_SUPPORT_H
#define ATIVA_TEST_SUPPORT_H

#include <stddef.h>

/* cmocka needs these before cmocka.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

/** Root of tests/fixtures (from $ATIVA_FIXTURES, set by ctest). */
const char *test_fixture_root(void);

/** Read a whole file into a NUL-terminated heap buffer (caller frees); fails the test if absent. */
char *test_read_file(const char *path, size_t *len_out);

/** Read tests/fixtures/<relative> (see test_read_file). */
char *test_read_fixture(const char *relative, size_t *len_out);

/** Like test_read_fixture, but NULL without failing when the file does not exist. */
char *test_read_fixture_optional(const char *relative, size_t *len_out);

/**
 * Names of the entries of tests/fixtures/<relative> (directories and files, sorted, without "."
 * and ".."). Returns a NULL-terminated heap array; free with test_free_names.
 */
char **test_list_fixture_dir(const char *relative);
void test_free_names(char **names);

/** A fresh empty directory under $TMPDIR (caller removes it with test_remove_tree). */
char *test_make_temp_dir(const char *prefix);
void test_remove_tree(const char *path);

#endif
