/*
 * ativa-store-dump — print what a data directory's store holds, as JSON, for tests.
 *
 *     ativa-store-dump templates --data DIR --waba WABA_ID
 *
 * Prints the WABA's stored templates (Meta's JSON objects, by name then language) as one JSON
 * array. The store may be in use by a running gateway: LMDB lets this process read beside it.
 * Exit status: 0 printed; 1 the store cannot be opened or read; 2 usage error.
 */
#include <ativa/store.h>

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
    fputs("usage: ativa-store-dump templates --data DIR --waba WABA_ID\n", stderr);
    return 2;
}

int main(int argc, char **argv)
{
    const char *data = NULL, *waba = NULL;
    if (argc < 2 || strcmp(argv[1], "templates") != 0)
        return usage();
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            data = argv[++i];
        else if (strcmp(argv[i], "--waba") == 0 && i + 1 < argc)
            waba = argv[++i];
        else
            return usage();
    }
    if (!data || !waba)
        return usage();

    ativa_store_config cfg = ativa_store_config_default(data);
    ativa_store *st = NULL;
    ativa_err err = ativa_store_open(&cfg, &st);
    if (err) {
        fprintf(stderr, "ativa-store-dump: cannot open the store in %s: %s\n", data,
                ativa_strerror(err));
        return 1;
    }
    json_t *list = NULL;
    err = ativa_store_list_templates(st, waba, &list);
    ativa_store_close(st);
    if (err) {
        fprintf(stderr, "ativa-store-dump: cannot list the templates of %s: %s\n", waba,
                ativa_strerror(err));
        return 1;
    }
    char *text = json_dumps(list, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(list);
    if (!text) {
        fputs("ativa-store-dump: out of memory\n", stderr);
        return 1;
    }
    puts(text);
    free(text);
    return 0;
}
