/*
 * The gateway's configuration loader, driven by tests/fixtures/config:
 *   valid/<case>/config.json    [env]  expected   every line of `expected` is a line of the
 *                                                  loaded configuration's description
 *   invalid/<case>/config.json  [env]  error      the exact problems reported, in order
 * `env` holds NAME=value lines standing in for the process environment. Relative paths are
 * resolved against /etc/ativa.
 */
#include "support.h"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BASE_DIR "/etc/ativa"
#define MAX_ENV  16

static char *fake_env_names[MAX_ENV];
static char *fake_env_values[MAX_ENV];
static size_t fake_env_count;

static const char *fake_getenv(const char *name)
{
    for (size_t i = 0; i < fake_env_count; i++)
        if (strcmp(fake_env_names[i], name) == 0)
            return fake_env_values[i];
    return NULL;
}

static void fake_env_clear(void)
{
    for (size_t i = 0; i < fake_env_count; i++) {
        free(fake_env_names[i]);
        free(fake_env_values[i]);
    }
    fake_env_count = 0;
}

static void fake_env_set(const char *name, const char *value)
{
    assert_true(fake_env_count < MAX_ENV);
    fake_env_names[fake_env_count] = strdup(name);
    fake_env_values[fake_env_count] = strdup(value);
    fake_env_count++;
}

/* Loads <dir>/env (if any) into the fake environment. */
static void fake_env_load(const char *dir)
{
    char rel[512];
    fake_env_clear();
    snprintf(rel, sizeof rel, "%s/env", dir);
    char *text = test_read_fixture_optional(rel, NULL);
    if (!text)
        return;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *eq = strchr(line, '=');
        assert_non_null(eq);
        *eq = '\0';
        fake_env_set(line, eq + 1);
    }
    free(text);
}

static ativa_err parse_fixture(const char *dir, struct ativa_config **cfg, char **errors)
{
    char rel[512];
    size_t len = 0;
    snprintf(rel, sizeof rel, "%s/config.json", dir);
    char *text = test_read_fixture(rel, &len);
    fake_env_load(dir);
    ativa_err err = ativa_config_parse_new(text, len, BASE_DIR, fake_getenv, cfg, errors);
    free(text);
    return err;
}

static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
            return true;
    return false;
}

static void valid_fixtures_load_with_expected_values(void **state)
{
    (void)state;
    char **cases = test_list_fixture_dir("config/valid");
    size_t count = 0;
    for (char **c = cases; *c; c++, count++) {
        char dir[256], rel[512];
        snprintf(dir, sizeof dir, "config/valid/%s", *c);
        struct ativa_config *cfg = NULL;
        char *errors = NULL;
        ativa_err err = parse_fixture(dir, &cfg, &errors);
        if (err != ATIVA_OK)
            fprintf(stderr, "case %s: unexpected problems:\n%s", *c, errors ? errors : "");
        assert_int_equal(err, ATIVA_OK);
        assert_null(errors);
        assert_non_null(cfg);

        char *desc = ativa_config_describe_new(cfg);
        assert_non_null(desc);
        snprintf(rel, sizeof rel, "%s/expected", dir);
        char *expected = test_read_fixture(rel, NULL);
        for (char *line = strtok(expected, "\n"); line; line = strtok(NULL, "\n")) {
            if (!has_line(desc, line))
                fprintf(stderr, "case %s: missing \"%s\" in:\n%s", *c, line, desc);
            assert_true(has_line(desc, line));
        }
        free(expected);
        free(desc);
        ativa_config_free(cfg);
    }
    assert_true(count >= 3);
    test_free_names(cases);
    fake_env_clear();
}

static void invalid_fixtures_report_every_problem(void **state)
{
    (void)state;
    char **cases = test_list_fixture_dir("config/invalid");
    size_t count = 0;
    for (char **c = cases; *c; c++, count++) {
        char dir[256], rel[512];
        snprintf(dir, sizeof dir, "config/invalid/%s", *c);
        struct ativa_config *cfg = (struct ativa_config *)1;
        char *errors = NULL;
        ativa_err err = parse_fixture(dir, &cfg, &errors);
        snprintf(rel, sizeof rel, "%s/error", dir);
        char *expected = test_read_fixture(rel, NULL);
        if (!errors || strcmp(errors, expected) != 0)
            fprintf(stderr, "case %s:\nexpected:\n%sgot:\n%s", *c, expected,
                    errors ? errors : "(none)\n");
        assert_true(err == ATIVA_ERR_INVALID_ARGUMENT || err == ATIVA_ERR_BAD_JSON);
        assert_null(cfg);
        assert_non_null(errors);
        assert_string_equal(errors, expected);
        free(expected);
        free(errors);
    }
    assert_true(count >= 10);
    test_free_names(cases);
    fake_env_clear();
}

static struct ativa_config *parse_minimal(void)
{
    struct ativa_config *cfg = NULL;
    assert_int_equal(parse_fixture("config/valid/minimal", &cfg, NULL), ATIVA_OK);
    return cfg;
}

static void environment_replaces_and_fills_secrets(void **state)
{
    (void)state;
    struct ativa_config *cfg = NULL;
    assert_int_equal(parse_fixture("config/valid/secrets_from_env", &cfg, NULL), ATIVA_OK);
    assert_string_equal(cfg->graph_token, "EAAG-from-env");
    assert_string_equal(cfg->webhook_app_secret, "s3cr3t");
    assert_string_equal(cfg->webhook_verify_token, "vt-env");
    assert_int_equal(cfg->log_level, ATIVA_LOG_DEBUG);
    ativa_config_free(cfg);

    assert_int_equal(parse_fixture("config/valid/env_overrides_file", &cfg, NULL), ATIVA_OK);
    assert_string_equal(cfg->graph_token, "EAAG-from-env");
    assert_string_equal(cfg->webhook_verify_token, "verify-me"); /* not in the environment */
    ativa_config_free(cfg);

    /* An empty variable counts as unset: the file's value stays. */
    fake_env_clear();
    fake_env_set("ATIVA_GRAPH_TOKEN", "");
    char *text = test_read_fixture("config/valid/minimal/config.json", NULL);
    assert_int_equal(ativa_config_parse_new(text, strlen(text), NULL, fake_getenv, &cfg, NULL),
                     ATIVA_OK);
    assert_string_equal(cfg->graph_token, "EAAG-test-token");
    /* Without a base directory, relative paths stay relative (to the working directory). */
    assert_string_equal(cfg->tls_cert_file, "certs/localhost.pem");
    ativa_config_free(cfg);
    free(text);
    fake_env_clear();
}

static void defaults_and_lists_are_filled(void **state)
{
    (void)state;
    struct ativa_config *cfg = parse_minimal();
    assert_int_equal(cfg->n_lines, 2);
    assert_string_equal(cfg->lines[1].label, "Cobrança RJ");
    assert_int_equal(cfg->n_contact_reasons, 3);
    assert_string_equal(cfg->contact_reasons[2], "Vendas");
    assert_int_equal(cfg->window_ms, ATIVA_CONFIG_WINDOW_MS);
    assert_int_equal(cfg->webhook_max_body_bytes, 3 * 1024 * 1024);
    assert_int_equal(cfg->templates_source, ATIVA_TEMPLATES_GRAPH);
    assert_null(cfg->templates_file);
    assert_null(cfg->graph_ca_file);
    assert_non_null(cfg->static_dir);
    ativa_config_free(cfg);
    ativa_config_free(NULL);
}

static void oversized_text_is_refused(void **state)
{
    (void)state;
    size_t len = 1024 * 1024 + 1;
    char *text = malloc(len);
    assert_non_null(text);
    memset(text, ' ', len);
    struct ativa_config *cfg = NULL;
    char *errors = NULL;
    assert_int_equal(ativa_config_parse_new(text, len, NULL, fake_getenv, &cfg, &errors),
                     ATIVA_ERR_TOO_LARGE);
    assert_null(cfg);
    assert_non_null(strstr(errors, "larger than 1 MiB"));
    free(errors);
    free(text);
    /* Without an errors pointer the problems are simply dropped. */
    assert_int_equal(ativa_config_parse_new("[]", 2, NULL, fake_getenv, &cfg, NULL),
                     ATIVA_ERR_BAD_JSON);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void load_resolves_paths_against_the_file(void **state)
{
    (void)state;
    char *dir = test_make_temp_dir("gwcfg");
    char path[512];
    snprintf(path, sizeof path, "%s/ativa.json", dir);
    char *text = test_read_fixture("config/valid/minimal/config.json", NULL);
    write_file(path, text);
    free(text);

    struct ativa_config *cfg = NULL;
    char *errors = NULL;
    fake_env_clear();
    assert_int_equal(ativa_config_load_new(path, fake_getenv, &cfg, &errors), ATIVA_OK);
    char want[600];
    snprintf(want, sizeof want, "%s/certs/localhost.pem", dir);
    assert_string_equal(cfg->tls_cert_file, want);

    /* Nothing named exists yet: each file and the data directory's parent are reported. */
    assert_int_equal(ativa_config_check_files(cfg, &errors), ATIVA_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(errors, "config: tls.cert_file: cannot open "));
    assert_non_null(strstr(errors, "config: tls.key_file: cannot open "));
    assert_null(strstr(errors, "data_dir")); /* its parent, the temp dir, exists */
    free(errors);

    /* Create them: the check passes, and a file where a directory belongs is refused. */
    char sub[600];
    snprintf(sub, sizeof sub, "%s/certs", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(sub, sizeof sub, "%s/certs/localhost.pem", dir);
    write_file(sub, "cert");
    snprintf(sub, sizeof sub, "%s/certs/localhost.key", dir);
    write_file(sub, "key");
    free(cfg->static_dir);
    cfg->static_dir = strdup(dir);
    assert_int_equal(ativa_config_check_files(cfg, &errors), ATIVA_OK);
    assert_null(errors);

    free(cfg->static_dir);
    cfg->static_dir = strdup(sub); /* a regular file */
    free(cfg->data_dir);
    cfg->data_dir = strdup(sub);
    assert_int_equal(ativa_config_check_files(cfg, &errors), ATIVA_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(errors, "console.static_dir: "));
    assert_non_null(strstr(errors, "is not a directory"));
    assert_non_null(strstr(errors, "data_dir: "));
    free(errors);

    free(cfg->data_dir);
    cfg->data_dir = strdup("/nonexistent-ativa-parent/data");
    free(cfg->static_dir);
    cfg->static_dir = strdup(dir);
    assert_int_equal(ativa_config_check_files(cfg, &errors), ATIVA_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(errors, "data_dir: /nonexistent-ativa-parent/data does not exist"));
    free(errors);
    ativa_config_free(cfg);

    /* A missing file is its own error, naming the path. */
    snprintf(path, sizeof path, "%s/absent.json", dir);
    assert_int_equal(ativa_config_load_new(path, fake_getenv, &cfg, &errors), ATIVA_ERR_NOT_FOUND);
    assert_null(cfg);
    assert_non_null(strstr(errors, "absent.json"));
    assert_non_null(strstr(errors, "No such file"));
    free(errors);
    test_remove_tree(dir);
    free(dir);
}

static void too_many_problems_are_capped(void **state)
{
    (void)state;
    /* 150 unknown keys: the report stops after 100 problems with a closing line. */
    size_t cap = 150 * 24 + 16, used = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    used += (size_t)snprintf(text + used, cap - used, "{");
    for (int i = 0; i < 150; i++)
        used += (size_t)snprintf(text + used, cap - used, "%s\"k%d\": 1", i ? ", " : "", i);
    snprintf(text + used, cap - used, "}");
    struct ativa_config *cfg = NULL;
    char *errors = NULL;
    fake_env_clear();
    assert_int_equal(ativa_config_parse_new(text, strlen(text), NULL, fake_getenv, &cfg, &errors),
                     ATIVA_ERR_INVALID_ARGUMENT);
    size_t lines = 0;
    for (const char *p = errors; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 101);
    assert_non_null(strstr(errors, "config: too many problems; fix the ones above first\n"));
    free(errors);
    free(text);
}

/* The example shipped with the gateway stays loadable (its secrets come from the environment). */
static void example_configuration_is_valid(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = test_read_fixture("../../gateway/ativa.example.json", &len);
    fake_env_clear();
    fake_env_set("ATIVA_GRAPH_TOKEN", "EAAG-example");
    fake_env_set("ATIVA_APP_SECRET", "example-secret");
    fake_env_set("ATIVA_WEBHOOK_VERIFY_TOKEN", "example-verify");
    struct ativa_config *cfg = NULL;
    char *errors = NULL;
    ativa_err err =
        ativa_config_parse_new(text, len, "/srv/ativa/gateway", fake_getenv, &cfg, &errors);
    if (err)
        fprintf(stderr, "%s", errors);
    assert_int_equal(err, ATIVA_OK);
    assert_string_equal(cfg->tls_cert_file, "/srv/ativa/gateway/../certs/out/localhost.pem");
    ativa_config_free(cfg);
    free(text);
    fake_env_clear();
}

/* docs/configuration.md documents every key the loader knows. */
static void every_key_is_documented(void **state)
{
    (void)state;
    char *doc = test_read_fixture("../../docs/configuration.md", NULL);
    struct ativa_config *cfg = parse_minimal();
    char *desc = ativa_config_describe_new(cfg);
    size_t checked = 0;
    for (char *line = strtok(desc, "\n"); line; line = strtok(NULL, "\n")) {
        char key[128];
        size_t n = strcspn(line, "[=");
        assert_true(n < sizeof key - 2);
        snprintf(key, sizeof key, "`%.*s`", (int)n, line);
        if (!strstr(doc, key))
            fprintf(stderr, "%s is not in docs/configuration.md\n", key);
        assert_non_null(strstr(doc, key));
        checked++;
    }
    const char *line_keys[] = {"`lines[].phone_number_id`",
                               "`lines[].display_number`",
                               "`lines[].waba_id`",
                               "`lines[].label`",
                               "`ATIVA_GRAPH_TOKEN`",
                               "`ATIVA_APP_SECRET`",
                               "`ATIVA_WEBHOOK_VERIFY_TOKEN`",
                               "`ATIVA_LOG_LEVEL`",
                               "`ATIVA_TEST_CLOCK_OFFSET_MS`"};
    for (size_t i = 0; i < sizeof line_keys / sizeof line_keys[0]; i++)
        assert_non_null(strstr(doc, line_keys[i]));
    assert_true(checked >= 25);
    free(desc);
    ativa_config_free(cfg);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_fixtures_load_with_expected_values),
        cmocka_unit_test(invalid_fixtures_report_every_problem),
        cmocka_unit_test(environment_replaces_and_fills_secrets),
        cmocka_unit_test(defaults_and_lists_are_filled),
        cmocka_unit_test(oversized_text_is_refused),
        cmocka_unit_test(load_resolves_paths_against_the_file),
        cmocka_unit_test(too_many_problems_are_capped),
        cmocka_unit_test(example_configuration_is_valid),
        cmocka_unit_test(every_key_is_documented),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
