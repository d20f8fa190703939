#include "support.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *test_fixture_root(void)
{
    const char *root = getenv("ATIVA_FIXTURES");
    if (!root || !*root) {
        fprintf(stderr, "ATIVA_FIXTURES is not set: run the tests through ctest\n");
        fail();
    }
    return root;
}

static char *read_file(const char *path, size_t *len_out, int required)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (required) {
            fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
            fail();
        }
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    size_t got = fread(buf, 1, (size_t)size, f);
    fclose(f);
    assert_int_equal(got, (size_t)size);
    buf[size] = '\0';
    if (len_out)
        *len_out = (size_t)size;
    return buf;
}

char *test_read_file(const char *path, size_t *len_out)
{
    return read_file(path, len_out, 1);
}

static char *fixture_path(const char *relative)
{
    const char *root = test_fixture_root();
    size_t n = strlen(root) + strlen(relative) + 2;
    char *path = malloc(n);
    assert_non_null(path);
    snprintf(path, n, "%s/%s", root, relative);
    return path;
}

char *test_read_fixture(const char *relative, size_t *len_out)
{
    char *path = fixture_path(relative);
    char *buf = read_file(path, len_out, 1);
    free(path);
    return buf;
}

char *test_read_fixture_optional(const char *relative, size_t *len_out)
{
    char *path = fixture_path(relative);
    char *buf = read_file(path, len_out, 0);
    free(path);
    return buf;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **test_list_fixture_dir(const char *relative)
{
    char *path = fixture_path(relative);
    DIR *dir = opendir(path);
    if (!dir) {
        fprintf(stderr, "cannot open fixture folder %s: %s\n", path, strerror(errno));
        free(path);
        fail();
    }
    free(path);
    size_t count = 0, cap = 16;
    char **names = malloc(cap * sizeof *names);
    assert_non_null(names);
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (e->d_name[0] == '.')
            continue;
        if (count + 1 >= cap) {
            cap *= 2;
            names = realloc(names, cap * sizeof *names);
            assert_non_null(names);
        }
        names[count++] = strdup(e->d_name);
    }
    closedir(dir);
    qsort(names, count, sizeof *names, compare_names);
    names[count] = NULL;
    return names;
}

void test_free_names(char **names)
{
    for (char **n = names; n && *n; n++)
        free(*n);
    free(names);
}

char *test_make_temp_dir(const char *prefix)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    size_t n = strlen(tmp) + strlen(prefix) + 16;
    char *path = malloc(n);
    assert_non_null(path);
    snprintf(path, n, "%s/%s-XXXXXX", tmp, prefix);
    assert_non_null(mkdtemp(path));
    return path;
}

void test_remove_tree(const char *path)
{
    DIR *dir = opendir(path);
    if (dir) {
        struct dirent *e;
        while ((e = readdir(dir))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            size_t n = strlen(path) + strlen(e->d_name) + 2;
            char *child = malloc(n);
            snprintf(child, n, "%s/%s", path, e->d_name);
            struct stat st;
            if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode))
                test_remove_tree(child);
            else
                unlink(child);
            free(child);
        }
        closedir(dir);
    }
    rmdir(path);
}
