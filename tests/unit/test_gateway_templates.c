/*
 * The gateway's template offer.
 *
 * templates.file is driven by tests/fixtures/templates_file:
 *   valid/<case>/input.json  wabas  expected   `wabas` lists the configured WABAs, one a line;
 *                                              `expected` one line "<waba> <name> <language>
 *                                              <status>" per template in file order, then
 *                                              "rejected <waba> <n>" for skipped ones
 *   invalid/<case>/input.json  wabas  error    the error code, then (when given) the exact message
 * The rest runs the real start-up, offer and status updates against a store in a scratch
 * directory and an lws context that serves nothing.
 */
#include "support.h"

#include "bridge.h"
#include "config.h"
#include "server.h"
#include "templates.h"

#include <ativa/store.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_WABAS 8

/* ---- templates.file ---- */

static size_t read_wabas(const char *dir, char *names[MAX_WABAS])
{
    char rel[512];
    snprintf(rel, sizeof rel, "%s/wabas", dir);
    char *text = test_read_fixture(rel, NULL);
    size_t n = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        assert_true(n < MAX_WABAS);
        names[n++] = strdup(line);
    }
    free(text);
    return n;
}

static char *describe_pages_new(char *const *wabas, const ativa_template_page *pages, size_t n)
{
    size_t cap = 8192, len = 0;
    char *out = calloc(1, cap);
    assert_non_null(out);
    for (size_t w = 0; w < n; w++)
        for (size_t i = 0; i < pages[w].count; i++) {
            const ativa_template *t = pages[w].items[i];
            len += (size_t)snprintf(out + len, cap - len, "%s %s %s %s\n", wabas[w], t->name,
                                    t->language, ativa_template_status_name(t->status));
            assert_true(len < cap);
        }
    for (size_t w = 0; w < n; w++)
        if (pages[w].rejected) {
            len += (size_t)snprintf(out + len, cap - len, "rejected %s %zu\n", wabas[w],
                                    pages[w].rejected);
            assert_true(len < cap);
        }
    return out;
}

static void valid_files_give_the_expected_lists(void **state)
{
    (void)state;
    char **cases = test_list_fixture_dir("templates_file/valid");
    size_t checked = 0;
    for (char **c = cases; *c; c++) {
        char dir[512], rel[600];
        snprintf(dir, sizeof dir, "templates_file/valid/%s", *c);
        char *wabas[MAX_WABAS];
        size_t n = read_wabas(dir, wabas);
        snprintf(rel, sizeof rel, "%s/input.json", dir);
        size_t len = 0;
        char *input = test_read_fixture(rel, &len);
        snprintf(rel, sizeof rel, "%s/expected", dir);
        char *expected = test_read_fixture(rel, NULL);

        ativa_template_page pages[MAX_WABAS];
        char why[256];
        ativa_err err = ativa_templates_file_parse(input, len, (const char *const *)wabas, n, pages,
                                                   why, sizeof why);
        if (err)
            fail_msg("%s: %s (%s)", *c, ativa_err_code(err), why);
        char *got = describe_pages_new(wabas, pages, n);
        if (strcmp(got, expected) != 0)
            fail_msg("%s: expected\n%sgot\n%s", *c, expected, got);
        for (size_t i = 0; i < n; i++) {
            ativa_template_page_clear(&pages[i]);
            free(wabas[i]);
        }
        free(got);
        free(input);
        free(expected);
        checked++;
    }
    test_free_names(cases);
    assert_true(checked >= 5);
}

static void invalid_files_are_refused_with_the_reason(void **state)
{
    (void)state;
    char **cases = test_list_fixture_dir("templates_file/invalid");
    size_t checked = 0;
    for (char **c = cases; *c; c++) {
        char dir[512], rel[600];
        snprintf(dir, sizeof dir, "templates_file/invalid/%s", *c);
        char *wabas[MAX_WABAS];
        size_t n = read_wabas(dir, wabas);
        snprintf(rel, sizeof rel, "%s/input.json", dir);
        size_t len = 0;
        char *input = test_read_fixture(rel, &len);
        snprintf(rel, sizeof rel, "%s/error", dir);
        char *expected = test_read_fixture(rel, NULL);
        char *nl = strchr(expected, '\n');
        assert_non_null(nl);
        *nl = '\0';
        const char *message = nl + 1;
        size_t mlen = strlen(message);
        if (mlen && message[mlen - 1] == '\n')
            nl[mlen] = '\0';

        ativa_template_page pages[MAX_WABAS];
        memset(pages, 0x5a, sizeof pages);
        char why[256];
        ativa_err err = ativa_templates_file_parse(input, len, (const char *const *)wabas, n, pages,
                                                   why, sizeof why);
        if (strcmp(ativa_err_code(err), expected) != 0)
            fail_msg("%s: expected %s, got %s (%s)", *c, expected, ativa_err_code(err), why);
        if (*message && strcmp(message, why) != 0)
            fail_msg("%s: expected message\n%s\ngot\n%s", *c, message, why);
        assert_true(why[0] != '\0');
        for (size_t i = 0; i < n; i++) {
            /* Nothing is handed out on error. */
            assert_int_equal(pages[i].count, 0);
            assert_null(pages[i].items);
            free(wabas[i]);
        }
        free(input);
        free(expected);
        checked++;
    }
    test_free_names(cases);
    assert_true(checked >= 9);
}

static void an_oversized_file_is_refused_before_it_is_parsed(void **state)
{
    (void)state;
    size_t len = ATIVA_TEMPLATES_FILE_MAX + 1;
    char *big = malloc(len);
    assert_non_null(big);
    memset(big, ' ', len);
    const char *wabas[] = {"2001"};
    ativa_template_page pages[1];
    char why[128];
    assert_int_equal(ativa_templates_file_parse(big, len, wabas, 1, pages, why, sizeof why),
                     ATIVA_ERR_TOO_LARGE);
    assert_non_null(strstr(why, "larger than"));
    free(big);
    assert_int_equal(ativa_templates_file_parse(NULL, 0, wabas, 1, pages, NULL, 0),
                     ATIVA_ERR_INVALID_ARGUMENT);
    /* With no WABA configured, a valid file gives nothing and needs no pages. */
    assert_int_equal(ativa_templates_file_parse("{\"data\":[]}", 11, NULL, 0, NULL, NULL, 0),
                     ATIVA_OK);
}

/* ---- paths ---- */

static void the_first_page_asks_for_page_size_templates(void **state)
{
    (void)state;
    char out[ATIVA_TEMPLATES_PATH_MAX];
    assert_int_equal(ativa_templates_first_path("v23.0", "2001", 2, out, sizeof out), ATIVA_OK);
    assert_string_equal(out, "/v23.0/2001/message_templates?limit=2");
    assert_int_equal(ativa_templates_first_path("v23.0", "2001/../x", 2, out, sizeof out),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_templates_first_path("v23.0?", "2001", 2, out, sizeof out),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_templates_first_path("v23.0", "", 2, out, sizeof out),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_templates_first_path("v23.0", "2001", 0, out, sizeof out),
                     ATIVA_ERR_INVALID_ARGUMENT);
    char small[16];
    assert_int_equal(ativa_templates_first_path("v23.0", "2001", 2, small, sizeof small),
                     ATIVA_ERR_TOO_LARGE);
}

static void next_pages_follow_the_cursor_and_never_another_host(void **state)
{
    (void)state;
    const char *base = "https://graph.example.com";
    char out[ATIVA_TEMPLATES_PATH_MAX];
    ativa_template_page page;
    memset(&page, 0, sizeof page);

    /* The last page: no next, even with a cursor. */
    page.after = "QVFIUk";
    assert_int_equal(ativa_templates_next_path(base, "v23.0", "2001", 100, &page, out, sizeof out),
                     ATIVA_OK);
    assert_string_equal(out, "");

    /* The cursor wins over whatever next says, and is URL encoded. */
    page.after = "QVF+IU/k=";
    page.next = "https://evil.example.net/v23.0/2001/message_templates?after=zzz";
    assert_int_equal(ativa_templates_next_path(base, "v23.0", "2001", 100, &page, out, sizeof out),
                     ATIVA_OK);
    assert_string_equal(out, "/v23.0/2001/message_templates?limit=100&after=QVF%2BIU%2Fk%3D");

    /* Without a cursor, next only when it is this list below our base URL. */
    page.after = NULL;
    assert_int_equal(ativa_templates_next_path(base, "v23.0", "2001", 100, &page, out, sizeof out),
                     ATIVA_ERR_META_RESPONSE_MALFORMED);
    page.next = "https://graph.example.com.evil.net/v23.0/2001/message_templates?after=1";
    assert_int_equal(ativa_templates_next_path(base, "v23.0", "2001", 100, &page, out, sizeof out),
                     ATIVA_ERR_META_RESPONSE_MALFORMED);
    page.next = "https://graph.example.com/v23.0/2002/message_templates?after=1";
    assert_int_equal(ativa_templates_next_path(base, "v23.0", "2001", 100, &page, out, sizeof out),
                     ATIVA_ERR_META_RESPONSE_MALFORMED);
    page.next = "https://graph.example.com/v23.0/2001/message_templates?after=1 HTTP/1.1\r\nX: y";
    assert_int_equal(ativa_templates_next_path(base, "v23.0", "2001", 100, &page, out, sizeof out),
                     ATIVA_ERR_META_RESPONSE_MALFORMED);
    page.next = "https://graph.example.com/v23.0/2001/message_templates?limit=100&after=MQ";
    assert_int_equal(ativa_templates_next_path(base, "v23.0", "2001", 100, &page, out, sizeof out),
                     ATIVA_OK);
    assert_string_equal(out, "/v23.0/2001/message_templates?limit=100&after=MQ");
    /* A base URL with a trailing slash is the same base. */
    assert_int_equal(ativa_templates_next_path("https://graph.example.com/", "v23.0", "2001", 100,
                                               &page, out, sizeof out),
                     ATIVA_OK);
    assert_string_equal(out, "/v23.0/2001/message_templates?limit=100&after=MQ");
    char small[32];
    assert_int_equal(
        ativa_templates_next_path(base, "v23.0", "2001", 100, &page, small, sizeof small),
        ATIVA_ERR_TOO_LARGE);

    /* A cursor longer than any Meta gives is refused, not cut. */
    char cursor[ATIVA_TEMPLATES_CURSOR_MAX + 2];
    memset(cursor, 'A', sizeof cursor - 1);
    cursor[sizeof cursor - 1] = '\0';
    page.after = cursor;
    assert_int_equal(ativa_templates_next_path(base, "v23.0", "2001", 100, &page, out, sizeof out),
                     ATIVA_ERR_TOO_LARGE);
    assert_int_equal(ativa_templates_next_path(NULL, "v23.0", "2001", 100, &page, out, sizeof out),
                     ATIVA_ERR_INVALID_ARGUMENT);
}

/* ---- the offer ---- */

static ativa_template *parse(const char *json)
{
    ativa_template *t = NULL;
    char why[ATIVA_TEMPLATE_ERRBUF];
    ativa_err err = ativa_template_parse_new(json, strlen(json), &t, why, sizeof why);
    if (err)
        fail_msg("%s: %s", json, why);
    return t;
}

static void the_offer_holds_approved_templates_as_the_protocol_shows_them(void **state)
{
    (void)state;
    ativa_template_catalog *cat = ativa_template_catalog_new();
    assert_int_equal(
        ativa_template_catalog_put(
            cat, "2001",
            parse("{\"name\":\"retomar\",\"language\":\"pt_BR\",\"status\":\"APPROVED\","
                  "\"category\":\"UTILITY\",\"components\":[{\"type\":\"BODY\",\"text\":\"Olá "
                  "{{1}}, aqui é da {{2}}.\",\"example\":{\"body_text\":[[\"Ana\",\"Loja\"]]}},"
                  "{\"type\":\"FOOTER\",\"text\":\"Loja Ativa\"}]}")),
        ATIVA_OK);
    assert_int_equal(
        ativa_template_catalog_put(
            cat, "2001",
            parse("{\"name\":\"foto\",\"language\":\"pt_BR\",\"status\":\"APPROVED\","
                  "\"category\":\"MARKETING\",\"components\":[{\"type\":\"HEADER\",\"format\":"
                  "\"IMAGE\"},{\"type\":\"BODY\",\"text\":\"Veja!\"}]}")),
        ATIVA_OK);
    assert_int_equal(ativa_template_catalog_put(
                         cat, "2001",
                         parse("{\"name\":\"pausado\",\"language\":\"pt_BR\",\"status\":\"PAUSED\","
                               "\"components\":[{\"type\":\"BODY\",\"text\":\"Oi\"}]}")),
                     ATIVA_OK);
    assert_int_equal(ativa_template_catalog_put(
                         cat, "2002",
                         parse("{\"name\":\"outra\",\"language\":\"en\",\"status\":\"APPROVED\","
                               "\"components\":[{\"type\":\"BODY\",\"text\":\"Hi\"}]}")),
                     ATIVA_OK);

    json_t *offer = ativa_templates_offer_from_catalog_new(cat, "2001");
    assert_non_null(offer);
    assert_int_equal(json_array_size(offer), 2); /* PAUSED out, other WABA out */

    json_t *foto = json_array_get(offer, 0), *retomar = json_array_get(offer, 1);
    assert_string_equal(json_string_value(json_object_get(foto, "name")), "foto");
    assert_true(json_is_false(json_object_get(foto, "sendable")));
    const char *reason = json_string_value(json_object_get(foto, "unsupported_reason"));
    assert_non_null(reason);
    assert_true(strlen(reason) > 10);
    assert_string_equal(json_string_value(json_object_get(foto, "category")), "MARKETING");

    assert_string_equal(json_string_value(json_object_get(retomar, "name")), "retomar");
    assert_string_equal(json_string_value(json_object_get(retomar, "language")), "pt_BR");
    assert_string_equal(json_string_value(json_object_get(retomar, "category")), "UTILITY");
    assert_string_equal(json_string_value(json_object_get(retomar, "text")),
                        "Olá {{1}}, aqui é da {{2}}.\nLoja Ativa");
    assert_true(json_is_true(json_object_get(retomar, "sendable")));
    assert_true(json_is_null(json_object_get(retomar, "unsupported_reason")));
    json_t *slots = json_object_get(retomar, "slots");
    assert_int_equal(json_array_size(slots), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(slots, 1), "key")),
                        "body.2");
    assert_string_equal(json_string_value(json_object_get(json_array_get(slots, 1), "example")),
                        "Loja");
    json_decref(offer);

    offer = ativa_templates_offer_from_catalog_new(cat, "3003");
    assert_int_equal(json_array_size(offer), 0);
    json_decref(offer);
    assert_null(ativa_templates_offer_from_catalog_new(NULL, "2001"));
    ativa_template_catalog_free(cat);
}

/* ---- the running offer: start-up, status updates, the store ---- */

struct rig {
    char *dir;
    char *config_path;
    struct ativa_config *cfg;
    struct ativa_server srv;
    struct ativa_bridge bridge;
};

static const char templates_json[] =
    "{\"wabas\":{\"2001\":{\"data\":["
    "{\"id\":\"9001\",\"name\":\"retomar_contato\",\"language\":\"pt_BR\",\"status\":\"APPROVED\","
    "\"category\":\"UTILITY\",\"components\":[{\"type\":\"BODY\",\"text\":\"Olá {{1}}\"}]},"
    "{\"id\":\"9003\",\"name\":\"boas_vindas\",\"language\":\"pt_BR\",\"status\":\"APPROVED\","
    "\"category\":\"MARKETING\",\"components\":[{\"type\":\"BODY\",\"text\":\"Bem-vindo!\"}]},"
    "{\"id\":\"9005\",\"name\":\"aviso_pausado\",\"language\":\"en_US\",\"status\":\"PAUSED\","
    "\"category\":\"MARKETING\",\"components\":[{\"type\":\"BODY\",\"text\":\"Notice.\"}]}"
    "]}}}";

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void rig_start(struct rig *r, const char *source, const char *file_text)
{
    memset(r, 0, sizeof *r);
    r->dir = test_make_temp_dir("ativa-templates-");
    char path[600], cfgtext[4096];
    snprintf(path, sizeof path, "%s/templates.json", r->dir);
    if (file_text)
        write_text(path, file_text);
    snprintf(cfgtext, sizeof cfgtext,
             "{\"listen\":{\"port\":8443},\"tls\":{\"cert_file\":\"c.pem\",\"key_file\":\"k.pem\"},"
             "\"data_dir\":\"%s/data\",\"graph\":{\"base_url\":\"https://127.0.0.1:9\","
             "\"token\":\"t\"},\"webhook\":{\"verify_token\":\"v\",\"app_secret\":\"s\"},"
             "\"lines\":[{\"phone_number_id\":\"1001\",\"display_number\":\"551140040001\","
             "\"waba_id\":\"2001\",\"label\":\"Loja\"},{\"phone_number_id\":\"1002\","
             "\"display_number\":\"551140040002\",\"waba_id\":\"2002\",\"label\":\"Clínica\"}],"
             "\"contact_reasons\":[\"Suporte\"],\"templates\":{\"source\":\"%s\"%s%s%s},"
             "\"console\":{\"allowed_origins\":[\"https://localhost:8443\"]}}",
             r->dir, source, file_text ? ",\"file\":\"" : "", file_text ? path : "",
             file_text ? "\"" : "");
    char *errors = NULL;
    ativa_err err =
        ativa_config_parse_new(cfgtext, strlen(cfgtext), r->dir, NULL, &r->cfg, &errors);
    if (err)
        fail_msg("config: %s", errors ? errors : ativa_err_code(err));

    r->srv.cfg = r->cfg;
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.user = &r->srv;
    r->srv.context = lws_create_context(&info);
    assert_non_null(r->srv.context);
    snprintf(path, sizeof path, "%s/data", r->dir);
    assert_int_equal(mkdir(path, 0700), 0);
    ativa_store_config sc = ativa_store_config_default(path);
    assert_int_equal(ativa_store_open(&sc, &r->srv.store), ATIVA_OK);
    assert_int_equal(ativa_bridge_init(&r->bridge, r->srv.context), 0);
    r->srv.bridge = &r->bridge;
}

/* Stop everything; the store is closed (every write applied) before this returns. */
static void rig_stop(struct rig *r)
{
    ativa_templates_stop(&r->srv);
    assert_null(r->srv.templates);
    ativa_store_close(r->srv.store);
    r->srv.store = NULL;
    ativa_bridge_drain(&r->srv);
    assert_int_equal(ativa_bridge_pending(&r->bridge), 0);
    ativa_bridge_destroy(&r->bridge);
    lws_context_destroy(r->srv.context);
    ativa_config_free(r->cfg);
}

static void rig_remove(struct rig *r)
{
    test_remove_tree(r->dir);
    free(r->dir);
}

/* The status the store holds for a template, after every write so far has been applied. */
static const char *stored_status(struct rig *r, const char *name, const char *language, char *buf,
                                 size_t size)
{
    /* Writes are applied in order: once this one is, the earlier ones are too. */
    ativa_store_op op;
    memset(&op, 0, sizeof op);
    op.kind = ATIVA_STORE_PUT_LINE;
    op.in.line.phone_number_id = "1001";
    op.in.line.display_number = "551140040001";
    op.in.line.waba_id = "2001";
    op.in.line.label = "Loja";
    ativa_store_execute(r->srv.store, &op);
    json_t *t = NULL;
    if (ativa_store_get_template(r->srv.store, "2001", name, language, &t) != ATIVA_OK)
        return NULL;
    snprintf(buf, size, "%s", json_string_value(json_object_get(t, "status")));
    json_decref(t);
    return buf;
}

static size_t offer_size(struct rig *r, const char *line)
{
    json_t *offer = NULL;
    assert_int_equal(ativa_templates_offer_new(&r->srv, line, &offer), ATIVA_OK);
    size_t n = json_array_size(offer);
    json_decref(offer);
    return n;
}

static ativa_meta_template_update update(char *waba, char *event, char *id, char *name,
                                         char *language)
{
    ativa_meta_template_update u;
    memset(&u, 0, sizeof u);
    u.waba_id = waba;
    u.event = event;
    u.template_id = id;
    u.name = name;
    u.language = language;
    return u;
}

static void a_file_is_offered_and_status_updates_change_the_offer_at_once(void **state)
{
    (void)state;
    struct rig r;
    rig_start(&r, "file", templates_json);
    assert_int_equal(ativa_templates_start(&r.srv), ATIVA_OK);
    assert_non_null(r.srv.templates);

    assert_int_equal(offer_size(&r, "1001"), 2);
    assert_int_equal(offer_size(&r, "1002"), 0); /* WABA 2002 is not in the file */
    json_t *offer = NULL;
    assert_int_equal(ativa_templates_offer_new(&r.srv, "9999", &offer), ATIVA_ERR_NOT_FOUND);
    assert_null(offer);
    assert_int_equal(ativa_templates_offer_new(&r.srv, "1001", NULL), ATIVA_ERR_INVALID_ARGUMENT);

    const ativa_template *t = ativa_templates_find(&r.srv, "1001", "aviso_pausado", "en-us");
    assert_non_null(t);
    assert_int_equal(t->status, ATIVA_TEMPLATE_PAUSED);
    assert_null(ativa_templates_find(&r.srv, "1002", "aviso_pausado", "en_US"));
    assert_null(ativa_templates_find(&r.srv, "9999", "aviso_pausado", "en_US"));

    ativa_templates_stats st;
    ativa_templates_stats_get(&r.srv, &st);
    assert_int_equal(st.total, 3);
    assert_int_equal(st.by_status[ATIVA_TEMPLATE_APPROVED], 2);
    assert_int_equal(st.by_status[ATIVA_TEMPLATE_PAUSED], 1);
    assert_true(st.last_ok);
    assert_true(st.last_sync_ms > 0);
    assert_int_equal(st.syncs_ok, 1);
    uint64_t gen = st.generation;
    assert_int_equal(gen, 2); /* two templates entered the offer */

    /* PAUSED by id: out of the offer before anything is committed. */
    ativa_meta_template_update u = update("2001", "PAUSED", "9001", NULL, NULL);
    assert_int_equal(ativa_templates_apply_status(&r.srv, &u), ATIVA_OK);
    assert_int_equal(offer_size(&r, "1001"), 1);
    const ativa_templates_change *c = ativa_templates_last_change(&r.srv);
    assert_int_equal(c->generation, gen + 1);
    assert_string_equal(c->name, "retomar_contato");
    assert_string_equal(c->waba_id, "2001");
    assert_false(c->offered);
    assert_int_equal(c->status, ATIVA_TEMPLATE_PAUSED);
    char buf[40];
    assert_string_equal(stored_status(&r, "retomar_contato", "pt_BR", buf, sizeof buf), "PAUSED");

    /* REINSTATED by name and language (spelled as webhooks may): back in the offer. */
    u = update("2001", "REINSTATED", NULL, "retomar_contato", "pt-BR");
    assert_int_equal(ativa_templates_apply_status(&r.srv, &u), ATIVA_OK);
    assert_int_equal(offer_size(&r, "1001"), 2);
    assert_int_equal(c->generation, gen + 2);
    assert_true(c->offered);
    assert_string_equal(stored_status(&r, "retomar_contato", "pt_BR", buf, sizeof buf), "APPROVED");

    /* FLAGGED changes nothing; APPROVED of the paused one adds it. */
    u = update("2001", "FLAGGED", "9003", NULL, NULL);
    assert_int_equal(ativa_templates_apply_status(&r.srv, &u), ATIVA_OK);
    assert_int_equal(c->generation, gen + 2);
    u = update("2001", "APPROVED", "9005", NULL, NULL);
    assert_int_equal(ativa_templates_apply_status(&r.srv, &u), ATIVA_OK);
    assert_int_equal(offer_size(&r, "1001"), 3);
    /* The same status again is no change of the offer. */
    assert_int_equal(ativa_templates_apply_status(&r.srv, &u), ATIVA_OK);
    assert_int_equal(c->generation, gen + 3);
    /* DISABLED, REJECTED: out. */
    u = update("2001", "DISABLED", "9005", NULL, NULL);
    assert_int_equal(ativa_templates_apply_status(&r.srv, &u), ATIVA_OK);
    u = update("2001", "REJECTED", "9003", NULL, NULL);
    assert_int_equal(ativa_templates_apply_status(&r.srv, &u), ATIVA_OK);
    assert_int_equal(offer_size(&r, "1001"), 1);
    assert_string_equal(stored_status(&r, "boas_vindas", "pt_BR", buf, sizeof buf), "REJECTED");
    assert_string_equal(stored_status(&r, "aviso_pausado", "en_US", buf, sizeof buf), "DISABLED");

    /* Refusals change nothing. */
    u = update("2001", "PAUSED", "12345", NULL, NULL);
    assert_int_equal(ativa_templates_apply_status(&r.srv, &u), ATIVA_ERR_TEMPLATE_NOT_FOUND);
    u = update("7777", "PAUSED", "9001", NULL, NULL);
    assert_int_equal(ativa_templates_apply_status(&r.srv, &u), ATIVA_ERR_NOT_FOUND);
    u = update("2001", NULL, "9001", NULL, NULL);
    assert_int_equal(ativa_templates_apply_status(&r.srv, &u), ATIVA_ERR_WEBHOOK_MALFORMED);
    u = update("2001", "PAUSED_FOR_A_VERY_LONG_TIME_INDEED_YES", "9001", NULL, NULL);
    assert_int_equal(ativa_templates_apply_status(&r.srv, &u), ATIVA_ERR_WEBHOOK_MALFORMED);
    u = update("2001", "PAUSED", NULL, "retomar_contato", NULL);
    assert_int_equal(ativa_templates_apply_status(&r.srv, &u), ATIVA_ERR_WEBHOOK_MALFORMED);
    assert_int_equal(ativa_templates_apply_status(&r.srv, NULL), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(offer_size(&r, "1001"), 1);
    assert_int_equal(c->generation, gen + 5);

    ativa_templates_stats_get(&r.srv, &st);
    assert_int_equal(st.by_status[ATIVA_TEMPLATE_APPROVED], 1);
    assert_int_equal(st.by_status[ATIVA_TEMPLATE_REJECTED], 1);
    assert_int_equal(st.by_status[ATIVA_TEMPLATE_DISABLED], 1);
    rig_stop(&r);
    rig_remove(&r);
}

struct committed {
    int calls;
    ativa_err result;
};

static void on_committed(struct ativa_server *srv, void *arg, ativa_err result)
{
    assert_non_null(srv);
    struct committed *c = arg;
    c->calls++;
    c->result = result;
}

/* Turn the loop's part by hand until `c` has been called (or 5 s have passed). */
static void wait_committed(struct rig *r, struct committed *c)
{
    for (int i = 0; i < 500 && c->calls == 0; i++) {
        ativa_bridge_drain(&r->srv);
        if (c->calls == 0)
            nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
    }
}

static void a_status_update_can_be_acknowledged_after_its_commit(void **state)
{
    (void)state;
    struct rig r;
    rig_start(&r, "file", templates_json);
    assert_int_equal(ativa_templates_start(&r.srv), ATIVA_OK);

    struct committed c = {0, ATIVA_ERR_INTERNAL};
    ativa_meta_template_update u = update("2001", "PAUSED", "9001", NULL, NULL);
    assert_int_equal(ativa_templates_apply_status_then(&r.srv, &u, on_committed, &c), ATIVA_OK);
    assert_int_equal(c.calls, 0); /* never from inside the call */
    assert_int_equal(offer_size(&r, "1001"), 1);
    wait_committed(&r, &c);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.result, ATIVA_OK);
    json_t *t = NULL;
    assert_int_equal(ativa_store_get_template(r.srv.store, "2001", "retomar_contato", "pt_BR", &t),
                     ATIVA_OK);
    assert_string_equal(json_string_value(json_object_get(t, "status")), "PAUSED");
    json_decref(t);

    /* FLAGGED writes nothing new, and is still answered after a commit. */
    c = (struct committed){0, ATIVA_ERR_INTERNAL};
    u = update("2001", "flagged", NULL, "boas_vindas", "pt_BR");
    assert_int_equal(ativa_templates_apply_status_then(&r.srv, &u, on_committed, &c), ATIVA_OK);
    wait_committed(&r, &c);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.result, ATIVA_OK);
    assert_int_equal(offer_size(&r, "1001"), 1);

    /* A refusal never calls back. */
    c = (struct committed){0, ATIVA_OK};
    u = update("2001", "PAUSED", "404", NULL, NULL);
    assert_int_equal(ativa_templates_apply_status_then(&r.srv, &u, on_committed, &c),
                     ATIVA_ERR_TEMPLATE_NOT_FOUND);
    ativa_bridge_drain(&r.srv);
    assert_int_equal(c.calls, 0);

    /* A store that no longer takes writes: refused, and no callback. */
    ativa_store_close(r.srv.store);
    r.srv.store = NULL;
    ativa_bridge_drain(&r.srv);
    u = update("2001", "APPROVED", "9001", NULL, NULL);
    assert_int_equal(ativa_templates_apply_status_then(&r.srv, &u, on_committed, &c),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(c.calls, 0);
    assert_int_equal(offer_size(&r, "1001"), 2); /* the catalog changed all the same */
    ativa_templates_stop(&r.srv);
    ativa_bridge_destroy(&r.bridge);
    lws_context_destroy(r.srv.context);
    ativa_config_free(r.cfg);
    rig_remove(&r);
}

static void the_stored_offer_comes_back_and_a_shorter_file_deletes_the_rest(void **state)
{
    (void)state;
    struct rig r;
    rig_start(&r, "file", templates_json);
    assert_int_equal(ativa_templates_start(&r.srv), ATIVA_OK);
    ativa_meta_template_update u = update("2001", "PAUSED", "9003", NULL, NULL);
    assert_int_equal(ativa_templates_apply_status(&r.srv, &u), ATIVA_OK);
    rig_stop(&r);

    /* Graph source, nothing reachable and the loop never turning: the store alone. */
    char *dir = r.dir;
    struct rig again;
    rig_start(&again, "graph", NULL);
    /* Point the new rig at the first one's data. */
    ativa_store_close(again.srv.store);
    free(again.cfg->data_dir);
    assert_non_null(again.cfg->data_dir = malloc(strlen(dir) + 8));
    sprintf(again.cfg->data_dir, "%s/data", dir);
    ativa_store_config sc = ativa_store_config_default(again.cfg->data_dir);
    assert_int_equal(ativa_store_open(&sc, &again.srv.store), ATIVA_OK);
    assert_int_equal(ativa_templates_start(&again.srv), ATIVA_OK);
    assert_int_equal(offer_size(&again, "1001"), 1); /* retomar_contato; boas_vindas paused */
    const ativa_template *t = ativa_templates_find(&again.srv, "1001", "boas_vindas", "pt_BR");
    assert_non_null(t);
    assert_int_equal(t->status, ATIVA_TEMPLATE_PAUSED);
    ativa_templates_stats st;
    ativa_templates_stats_get(&again.srv, &st);
    assert_int_equal(st.total, 3);
    assert_int_equal(st.last_sync_ms, 0); /* no sync has run */
    assert_false(st.syncing);
    rig_stop(&again);
    rig_remove(&again);

    /* The file now holds one template: the other two are DELETED in the catalog and store. */
    struct rig third;
    rig_start(&third, "file",
              "{\"data\":[{\"id\":\"9001\",\"name\":\"retomar_contato\",\"language\":\"pt_BR\","
              "\"status\":\"APPROVED\",\"components\":[{\"type\":\"BODY\",\"text\":\"Olá "
              "{{1}}\"}]}]}");
    ativa_store_close(third.srv.store);
    free(third.cfg->data_dir);
    assert_non_null(third.cfg->data_dir = malloc(strlen(dir) + 8));
    sprintf(third.cfg->data_dir, "%s/data", dir);
    assert_int_equal(
        ativa_store_open(&(ativa_store_config){.path = third.cfg->data_dir, .durable = true},
                         &third.srv.store),
        ATIVA_OK);
    assert_int_equal(ativa_templates_start(&third.srv), ATIVA_OK);
    assert_int_equal(offer_size(&third, "1001"), 1);
    t = ativa_templates_find(&third.srv, "1001", "aviso_pausado", "en_US");
    assert_non_null(t);
    assert_int_equal(t->status, ATIVA_TEMPLATE_DELETED);
    char buf[40];
    assert_string_equal(stored_status(&third, "boas_vindas", "pt_BR", buf, sizeof buf), "DELETED");
    assert_string_equal(stored_status(&third, "aviso_pausado", "en_US", buf, sizeof buf),
                        "DELETED");
    assert_string_equal(stored_status(&third, "retomar_contato", "pt_BR", buf, sizeof buf),
                        "APPROVED");
    rig_stop(&third);
    rig_remove(&third);
    test_remove_tree(dir);
    free(dir);
}

static void a_renamed_template_replaces_its_old_name_in_the_offer(void **state)
{
    (void)state;
    struct rig r;
    rig_start(&r, "file",
              "{\"data\":[{\"id\":\"77\",\"name\":\"antigo\",\"language\":\"pt_BR\","
              "\"status\":\"APPROVED\",\"components\":[{\"type\":\"BODY\",\"text\":\"Oi\"}]},"
              "{\"id\":\"77\",\"name\":\"novo\",\"language\":\"pt_BR\",\"status\":"
              "\"APPROVED\",\"components\":[{\"type\":\"BODY\",\"text\":\"Olá\"}]}]}");
    assert_int_equal(ativa_templates_start(&r.srv), ATIVA_OK);
    json_t *offer = NULL;
    assert_int_equal(ativa_templates_offer_new(&r.srv, "1001", &offer), ATIVA_OK);
    assert_int_equal(json_array_size(offer), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(offer, 0), "name")),
                        "novo");
    json_decref(offer);
    assert_null(ativa_templates_find(&r.srv, "1001", "antigo", "pt_BR"));
    /* In each of the two WABAs: antigo in, antigo out, novo in. */
    const ativa_templates_change *c = ativa_templates_last_change(&r.srv);
    assert_int_equal(c->generation, 6);
    assert_string_equal(c->name, "novo");
    assert_string_equal(c->waba_id, "2002");
    ativa_templates_stats st;
    ativa_templates_stats_get(&r.srv, &st);
    assert_int_equal(st.total, 2);
    assert_int_equal(st.by_status[ATIVA_TEMPLATE_APPROVED], 2);
    rig_stop(&r);
    rig_remove(&r);
}

static void a_bad_file_stops_the_start(void **state)
{
    (void)state;
    struct rig r;
    rig_start(&r, "file", "{\"wabas\":{\"9999\":{\"data\":[]}}}");
    assert_int_equal(ativa_templates_start(&r.srv), ATIVA_ERR_TEMPLATE_MALFORMED);
    assert_null(r.srv.templates);
    rig_stop(&r);
    rig_remove(&r);

    rig_start(&r, "file", "{\"data\":[]}");
    char path[600];
    snprintf(path, sizeof path, "%s/templates.json", r.dir);
    assert_int_equal(remove(path), 0);
    assert_int_equal(ativa_templates_start(&r.srv), ATIVA_ERR_NOT_FOUND);
    assert_null(r.srv.templates);
    /* Without templates every call refuses or gives nothing. */
    json_t *offer = NULL;
    assert_int_equal(ativa_templates_offer_new(&r.srv, "1001", &offer), ATIVA_ERR_INVALID_ARGUMENT);
    assert_null(ativa_templates_find(&r.srv, "1001", "x", "pt_BR"));
    assert_null(ativa_templates_last_change(&r.srv));
    ativa_templates_stats st;
    ativa_templates_stats_get(&r.srv, &st);
    assert_int_equal(st.total, 0);
    rig_stop(&r);
    rig_remove(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_files_give_the_expected_lists),
        cmocka_unit_test(invalid_files_are_refused_with_the_reason),
        cmocka_unit_test(an_oversized_file_is_refused_before_it_is_parsed),
        cmocka_unit_test(the_first_page_asks_for_page_size_templates),
        cmocka_unit_test(next_pages_follow_the_cursor_and_never_another_host),
        cmocka_unit_test(the_offer_holds_approved_templates_as_the_protocol_shows_them),
        cmocka_unit_test(a_file_is_offered_and_status_updates_change_the_offer_at_once),
        cmocka_unit_test(a_status_update_can_be_acknowledged_after_its_commit),
        cmocka_unit_test(the_stored_offer_comes_back_and_a_shorter_file_deletes_the_rest),
        cmocka_unit_test(a_renamed_template_replaces_its_old_name_in_the_offer),
        cmocka_unit_test(a_bad_file_stops_the_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
