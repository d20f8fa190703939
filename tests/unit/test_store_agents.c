/* Agents, sessions, the login throttle, schema 1 -> 2 and the hot backup. */
#include "store_support.h"

#include "ativa/auth.h"

#include <lmdb.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>

/* The store keeps the hash string as it is; its format is auth.c's business. */
#define HASH1 "scrypt$16$1$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGg="
#define HASH2 "scrypt$16$1$1$b3RoZXJzYWx0b3RoZXJzYQ==$b3RoZXJoYXNob3RoZXJoYXNob3RoZXJoYXNoMTI="

static ativa_err put_agent(ativa_store *st, const ativa_store_in_agent *in, ativa_store_out *out)
{
    ativa_store_op op = {.kind = ATIVA_STORE_PUT_AGENT};
    op.in.agent = *in;
    ativa_err e = ativa_store_execute(st, &op);
    if (out != NULL)
        *out = op.out;
    return e;
}

static uint64_t add_agent(ativa_store *st, const char *login, const char *name)
{
    ativa_store_in_agent in = {.login = login, .name = name, .password_hash = HASH1, .now_ms = T0};
    ativa_store_out out;
    assert_int_equal(put_agent(st, &in, &out), ATIVA_OK);
    assert_true(out.created);
    assert_true(out.agent > 0);
    return out.agent;
}

static ativa_err session_op(ativa_store *st, ativa_store_op_kind kind, const char *hash,
                            uint64_t agent, int64_t now, int64_t expires, ativa_store_out *out)
{
    ativa_store_op op = {.kind = kind};
    op.in.session.token_hash = hash;
    op.in.session.agent = agent;
    op.in.session.now_ms = now;
    op.in.session.expires_ms = expires;
    ativa_err e = ativa_store_execute(st, &op);
    if (out != NULL)
        *out = op.out;
    return e;
}

/* A new session for the agent: its token's hash in `hash`. */
static void new_session(ativa_store *st, uint64_t agent, int64_t now, int64_t expires,
                        char hash[ATIVA_AUTH_TOKEN_HASH_MAX])
{
    char token[ATIVA_AUTH_TOKEN_MAX];
    assert_int_equal(ativa_auth_new_token(token, hash), ATIVA_OK);
    assert_int_equal(session_op(st, ATIVA_STORE_CREATE_SESSION, hash, agent, now, expires, NULL),
                     ATIVA_OK);
}

static ativa_err login_op(ativa_store *st, ativa_store_op_kind kind, const char *login, int64_t now,
                          ativa_store_out *out)
{
    ativa_store_op op = {.kind = kind};
    op.in.login.login = login;
    op.in.login.now_ms = now;
    ativa_err e = ativa_store_execute(st, &op);
    if (out != NULL)
        *out = op.out;
    return e;
}

static ativa_err session_state(ativa_store *st, const char *hash, int64_t now)
{
    ativa_store_session s;
    return ativa_store_get_session(st, hash, now, &s);
}

static void agent_created_and_read_back(void **state)
{
    store_fixture *f = *state;
    const char *lines[] = {LINE, LINE2};
    ativa_store_in_agent in = {.login = "maria.souza",
                               .name = "Maria Souza",
                               .role = "supervisor",
                               .lines_mode = ATIVA_STORE_LINES_LIST,
                               .lines = lines,
                               .n_lines = 2,
                               .password_hash = HASH1,
                               .now_ms = T0};
    ativa_store_out out;
    assert_int_equal(put_agent(f->st, &in, &out), ATIVA_OK);
    assert_true(out.created);
    uint64_t id = out.agent;
    assert_true(id > 0);

    json_t *a = NULL;
    assert_int_equal(ativa_store_get_agent(f->st, id, &a), ATIVA_OK);
    assert_int_equal(jint(a, "id"), (long long)id);
    assert_string_equal(jstr(a, "login"), "maria.souza");
    assert_string_equal(jstr(a, "name"), "Maria Souza");
    assert_string_equal(jstr(a, "role"), "supervisor");
    assert_int_equal(json_array_size(json_object_get(a, "lines")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(a, "lines"), 1)), LINE2);
    assert_true(json_is_false(json_object_get(a, "disabled")));
    assert_int_equal(jint(a, "created_ms"), T0);
    assert_int_equal(jint(a, "updated_ms"), T0);
    assert_null(json_object_get(a, "password_hash"));
    json_decref(a);

    assert_int_equal(ativa_store_get_agent_by_login(f->st, "maria.souza", false, &a), ATIVA_OK);
    assert_int_equal(jint(a, "id"), (long long)id);
    assert_null(json_object_get(a, "password_hash"));
    json_decref(a);
    assert_int_equal(ativa_store_get_agent_by_login(f->st, "maria.souza", true, &a), ATIVA_OK);
    assert_string_equal(jstr(a, "password_hash"), HASH1);
    json_decref(a);

    /* A second agent defaults to role agent, every line, enabled. */
    uint64_t id2 = add_agent(f->st, "joao", "João Lima");
    assert_int_not_equal(id2, id);
    assert_int_equal(ativa_store_get_agent(f->st, id2, &a), ATIVA_OK);
    assert_string_equal(jstr(a, "role"), "agent");
    assert_true(json_is_null(json_object_get(a, "lines")));
    assert_true(json_is_false(json_object_get(a, "disabled")));
    json_decref(a);

    json_t *list = NULL;
    assert_int_equal(ativa_store_list_agents(f->st, &list), ATIVA_OK);
    assert_int_equal(json_array_size(list), 2);
    assert_string_equal(jstr(json_array_get(list, 0), "login"), "maria.souza");
    assert_string_equal(jstr(json_array_get(list, 1), "login"), "joao");
    for (size_t i = 0; i < 2; i++)
        assert_null(json_object_get(json_array_get(list, i), "password_hash"));
    json_decref(list);
    assert_int_equal(db_entries(f->st, "agent_logins"), 2);

    assert_int_equal(ativa_store_get_agent(f->st, 99, &a), ATIVA_ERR_NOT_FOUND);
    assert_null(a);
    assert_int_equal(ativa_store_get_agent_by_login(f->st, "nobody", false, &a),
                     ATIVA_ERR_NOT_FOUND);
    assert_int_equal(ativa_store_get_agent_by_login(f->st, "Maria", false, &a),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_get_agent(f->st, 0, &a), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_get_agent(NULL, 1, &a), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_get_agent(f->st, 1, NULL), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_get_agent_by_login(NULL, "joao", false, &a),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_get_agent_by_login(f->st, "joao", false, NULL),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_list_agents(NULL, &list), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_list_agents(f->st, NULL), ATIVA_ERR_INVALID_ARGUMENT);
}

static void update_changes_only_what_is_given(void **state)
{
    store_fixture *f = *state;
    uint64_t id = add_agent(f->st, "ana", "Ana");
    ativa_store_in_agent in = {.login = "ana", .name = "Ana Lima", .now_ms = T0 + 5};
    ativa_store_out out;
    assert_int_equal(put_agent(f->st, &in, &out), ATIVA_OK);
    assert_false(out.created);
    assert_int_equal(out.agent, id);
    json_t *a = NULL;
    assert_int_equal(ativa_store_get_agent_by_login(f->st, "ana", true, &a), ATIVA_OK);
    assert_string_equal(jstr(a, "name"), "Ana Lima");
    assert_string_equal(jstr(a, "role"), "agent");
    assert_string_equal(jstr(a, "password_hash"), HASH1);
    assert_true(json_is_null(json_object_get(a, "lines")));
    assert_int_equal(jint(a, "created_ms"), T0);
    assert_int_equal(jint(a, "updated_ms"), T0 + 5);
    json_decref(a);

    /* Role, password and an empty line list (no shared queue at all). */
    in = (ativa_store_in_agent){.login = "ana",
                                .role = "supervisor",
                                .lines_mode = ATIVA_STORE_LINES_LIST,
                                .n_lines = 0,
                                .password_hash = HASH2,
                                .now_ms = T0 + 6};
    assert_int_equal(put_agent(f->st, &in, NULL), ATIVA_OK);
    assert_int_equal(ativa_store_get_agent_by_login(f->st, "ana", true, &a), ATIVA_OK);
    assert_string_equal(jstr(a, "name"), "Ana Lima");
    assert_string_equal(jstr(a, "role"), "supervisor");
    assert_string_equal(jstr(a, "password_hash"), HASH2);
    assert_true(json_is_array(json_object_get(a, "lines")));
    assert_int_equal(json_array_size(json_object_get(a, "lines")), 0);
    json_decref(a);

    /* Back to every line; back to agent. */
    in = (ativa_store_in_agent){
        .login = "ana", .role = "agent", .lines_mode = ATIVA_STORE_LINES_ALL, .now_ms = T0 + 7};
    assert_int_equal(put_agent(f->st, &in, NULL), ATIVA_OK);
    assert_int_equal(ativa_store_get_agent(f->st, id, &a), ATIVA_OK);
    assert_true(json_is_null(json_object_get(a, "lines")));
    assert_string_equal(jstr(a, "role"), "agent");
    json_decref(a);
    fixture_reopen(f);
    assert_int_equal(ativa_store_get_agent(f->st, id, &a), ATIVA_OK);
    assert_string_equal(jstr(a, "name"), "Ana Lima");
    json_decref(a);
}

static void bad_agent_inputs_change_nothing(void **state)
{
    store_fixture *f = *state;
    char long_name[ATIVA_STORE_AGENT_NAME_MAX + 2];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    char long_hash[ATIVA_AUTH_HASH_MAX + 1];
    memset(long_hash, 'h', sizeof long_hash - 1);
    long_hash[sizeof long_hash - 1] = '\0';
    const char *many[ATIVA_STORE_AGENT_LINES_MAX + 1];
    for (size_t i = 0; i < ATIVA_STORE_AGENT_LINES_MAX + 1; i++)
        many[i] = LINE;
    const char *dup[] = {LINE, LINE};
    const char *letters[] = {"12a"};
    const char *bad_utf8 = "Jo\xc3";
    struct {
        ativa_store_in_agent in;
        ativa_err want;
    } cases[] = {
        {{.login = "ana", .name = "Ana"}, ATIVA_ERR_INVALID_ARGUMENT},          /* no password */
        {{.login = "ana", .password_hash = HASH1}, ATIVA_ERR_INVALID_ARGUMENT}, /* no name */
        {{.login = "Ana", .name = "Ana", .password_hash = HASH1}, ATIVA_ERR_INVALID_ARGUMENT},
        {{.login = "", .name = "Ana", .password_hash = HASH1}, ATIVA_ERR_INVALID_ARGUMENT},
        {{.login = NULL, .name = "Ana", .password_hash = HASH1}, ATIVA_ERR_INVALID_ARGUMENT},
        {{.login = "ana", .name = "", .password_hash = HASH1}, ATIVA_ERR_INVALID_ARGUMENT},
        {{.login = "ana", .name = long_name, .password_hash = HASH1}, ATIVA_ERR_TOO_LARGE},
        {{.login = "ana", .name = bad_utf8, .password_hash = HASH1}, ATIVA_ERR_INVALID_ARGUMENT},
        {{.login = "ana", .name = "Ana", .role = "admin", .password_hash = HASH1},
         ATIVA_ERR_INVALID_ARGUMENT},
        {{.login = "ana", .name = "Ana", .password_hash = ""}, ATIVA_ERR_INVALID_ARGUMENT},
        {{.login = "ana", .name = "Ana", .password_hash = long_hash}, ATIVA_ERR_TOO_LARGE},
        {{.login = "ana",
          .name = "Ana",
          .lines_mode = ATIVA_STORE_LINES_LIST,
          .lines = many,
          .n_lines = ATIVA_STORE_AGENT_LINES_MAX + 1,
          .password_hash = HASH1},
         ATIVA_ERR_TOO_LARGE},
        {{.login = "ana",
          .name = "Ana",
          .lines_mode = ATIVA_STORE_LINES_LIST,
          .lines = dup,
          .n_lines = 2,
          .password_hash = HASH1},
         ATIVA_ERR_INVALID_ARGUMENT},
        {{.login = "ana",
          .name = "Ana",
          .lines_mode = ATIVA_STORE_LINES_LIST,
          .lines = letters,
          .n_lines = 1,
          .password_hash = HASH1},
         ATIVA_ERR_INVALID_ARGUMENT},
        {{.login = "ana",
          .name = "Ana",
          .lines_mode = ATIVA_STORE_LINES_LIST,
          .lines = NULL,
          .n_lines = 1,
          .password_hash = HASH1},
         ATIVA_ERR_INVALID_ARGUMENT},
        {{.login = "ana", .name = "Ana", .lines_mode = 7, .password_hash = HASH1},
         ATIVA_ERR_INVALID_ARGUMENT},
        {{.login = "ana", .name = "Ana", .state = 9, .password_hash = HASH1},
         ATIVA_ERR_INVALID_ARGUMENT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ativa_store_out out;
        assert_int_equal(put_agent(f->st, &cases[i].in, &out), cases[i].want);
        assert_false(out.created);
    }
    json_t *list = NULL;
    assert_int_equal(ativa_store_list_agents(f->st, &list), ATIVA_OK);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
    assert_int_equal(db_entries(f->st, "agent_logins"), 0);
    /* The refused creations consumed no id. */
    assert_int_equal(add_agent(f->st, "ana", "Ana"), 1);
    /* An update is refused the same way and keeps the record. */
    ativa_store_in_agent in = {.login = "ana", .name = "", .now_ms = T0 + 1};
    assert_int_equal(put_agent(f->st, &in, NULL), ATIVA_ERR_INVALID_ARGUMENT);
    json_t *a = NULL;
    assert_int_equal(ativa_store_get_agent(f->st, 1, &a), ATIVA_OK);
    assert_string_equal(jstr(a, "name"), "Ana");
    assert_int_equal(jint(a, "updated_ms"), T0);
    json_decref(a);
}

static void session_lives_until_expires_ms(void **state)
{
    store_fixture *f = *state;
    uint64_t id = add_agent(f->st, "ana", "Ana");
    char hash[ATIVA_AUTH_TOKEN_HASH_MAX];
    new_session(f->st, id, T0, T0 + 3600000, hash);
    ativa_store_session s;
    assert_int_equal(ativa_store_get_session(f->st, hash, T0, &s), ATIVA_OK);
    assert_int_equal(s.agent, id);
    assert_int_equal(s.created_ms, T0);
    assert_int_equal(s.expires_ms, T0 + 3600000);
    assert_int_equal(ativa_store_get_session(f->st, hash, T0 + 3600000 - 1, &s), ATIVA_OK);
    assert_int_equal(ativa_store_get_session(f->st, hash, T0 + 3600000, &s),
                     ATIVA_ERR_UNAUTHENTICATED);
    assert_int_equal(s.agent, 0);
    assert_int_equal(s.expires_ms, 0);
    /* Unknown, malformed (upper case, short, long, non-hex), NULL. */
    char other[ATIVA_AUTH_TOKEN_HASH_MAX], token[ATIVA_AUTH_TOKEN_MAX];
    assert_int_equal(ativa_auth_new_token(token, other), ATIVA_OK);
    assert_int_equal(session_state(f->st, other, T0), ATIVA_ERR_UNAUTHENTICATED);
    char upper[ATIVA_AUTH_TOKEN_HASH_MAX];
    memcpy(upper, hash, sizeof upper);
    for (char *c = upper; *c; c++)
        if (*c >= 'a' && *c <= 'f')
            *c = (char)(*c - 'a' + 'A');
    if (strcmp(upper, hash) != 0)
        assert_int_equal(session_state(f->st, upper, T0), ATIVA_ERR_UNAUTHENTICATED);
    assert_int_equal(session_state(f->st, "abc", T0), ATIVA_ERR_UNAUTHENTICATED);
    char longer[ATIVA_AUTH_TOKEN_HASH_MAX + 1];
    memcpy(longer, hash, ATIVA_STORE_TOKEN_HASH_LEN);
    longer[64] = '0';
    longer[65] = '\0';
    assert_int_equal(session_state(f->st, longer, T0), ATIVA_ERR_UNAUTHENTICATED);
    char nonhex[ATIVA_AUTH_TOKEN_HASH_MAX];
    memcpy(nonhex, hash, sizeof nonhex);
    nonhex[10] = 'g';
    assert_int_equal(session_state(f->st, nonhex, T0), ATIVA_ERR_UNAUTHENTICATED);
    assert_int_equal(session_state(f->st, NULL, T0), ATIVA_ERR_UNAUTHENTICATED);
    assert_int_equal(ativa_store_get_session(NULL, hash, T0, &s), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_get_session(f->st, hash, T0, NULL), ATIVA_ERR_INVALID_ARGUMENT);
    /* Sessions outlive a restart. */
    fixture_reopen(f);
    assert_int_equal(session_state(f->st, hash, T0 + 1), ATIVA_OK);
}

static void session_creation_refusals(void **state)
{
    store_fixture *f = *state;
    uint64_t id = add_agent(f->st, "ana", "Ana");
    char hash[ATIVA_AUTH_TOKEN_HASH_MAX], token[ATIVA_AUTH_TOKEN_MAX];
    assert_int_equal(ativa_auth_new_token(token, hash), ATIVA_OK);
    assert_int_equal(session_op(f->st, ATIVA_STORE_CREATE_SESSION, hash, 42, T0, T0 + 10, NULL),
                     ATIVA_ERR_NOT_FOUND);
    assert_int_equal(session_op(f->st, ATIVA_STORE_CREATE_SESSION, hash, 0, T0, T0 + 10, NULL),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(session_op(f->st, ATIVA_STORE_CREATE_SESSION, hash, id, T0, T0, NULL),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(session_op(f->st, ATIVA_STORE_CREATE_SESSION, "0123", id, T0, T0 + 10, NULL),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(session_op(f->st, ATIVA_STORE_CREATE_SESSION, NULL, id, T0, T0 + 10, NULL),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(db_entries(f->st, "sessions"), 0);
    assert_int_equal(session_op(f->st, ATIVA_STORE_CREATE_SESSION, hash, id, T0, T0 + 10, NULL),
                     ATIVA_OK);
    /* The same hash twice (a token is never reused): refused, the first one unchanged. */
    assert_int_equal(session_op(f->st, ATIVA_STORE_CREATE_SESSION, hash, id, T0 + 1, T0 + 99, NULL),
                     ATIVA_ERR_EXISTS);
    ativa_store_session s;
    assert_int_equal(ativa_store_get_session(f->st, hash, T0, &s), ATIVA_OK);
    assert_int_equal(s.expires_ms, T0 + 10);
    /* A disabled agent gets no session. */
    ativa_store_in_agent in = {.login = "ana", .state = ATIVA_STORE_AGENT_DISABLE, .now_ms = T0};
    assert_int_equal(put_agent(f->st, &in, NULL), ATIVA_OK);
    char hash2[ATIVA_AUTH_TOKEN_HASH_MAX];
    assert_int_equal(ativa_auth_new_token(token, hash2), ATIVA_OK);
    assert_int_equal(session_op(f->st, ATIVA_STORE_CREATE_SESSION, hash2, id, T0, T0 + 10, NULL),
                     ATIVA_ERR_FORBIDDEN);
    assert_int_equal(db_entries(f->st, "sessions"), 1);
    assert_int_equal(db_entries(f->st, "sessions_by_agent"), 1);
}

static void revoke_one_and_all(void **state)
{
    store_fixture *f = *state;
    uint64_t ana = add_agent(f->st, "ana", "Ana");
    uint64_t joao = add_agent(f->st, "joao", "João");
    char a1[ATIVA_AUTH_TOKEN_HASH_MAX], a2[ATIVA_AUTH_TOKEN_HASH_MAX],
        a3[ATIVA_AUTH_TOKEN_HASH_MAX], j1[ATIVA_AUTH_TOKEN_HASH_MAX];
    new_session(f->st, ana, T0, T0 + DAY, a1);
    new_session(f->st, joao, T0, T0 + DAY, j1);
    new_session(f->st, ana, T0, T0 + DAY, a2);
    new_session(f->st, ana, T0, T0 + DAY, a3);

    ativa_store_out out;
    assert_int_equal(session_op(f->st, ATIVA_STORE_REVOKE_SESSION, a1, 0, T0 + 5, 0, &out),
                     ATIVA_OK);
    assert_int_equal(out.count, 1);
    assert_int_equal(out.agent, ana);
    assert_int_equal(session_state(f->st, a1, T0 + 6), ATIVA_ERR_UNAUTHENTICATED);
    assert_int_equal(session_state(f->st, a2, T0 + 6), ATIVA_OK);
    assert_int_equal(session_op(f->st, ATIVA_STORE_REVOKE_SESSION, a1, 0, T0 + 6, 0, &out),
                     ATIVA_ERR_DUPLICATE);
    assert_int_equal(out.count, 0);
    char unknown[ATIVA_AUTH_TOKEN_HASH_MAX], token[ATIVA_AUTH_TOKEN_MAX];
    assert_int_equal(ativa_auth_new_token(token, unknown), ATIVA_OK);
    assert_int_equal(session_op(f->st, ATIVA_STORE_REVOKE_SESSION, unknown, 0, T0, 0, NULL),
                     ATIVA_ERR_NOT_FOUND);
    assert_int_equal(session_op(f->st, ATIVA_STORE_REVOKE_SESSION, "zz", 0, T0, 0, NULL),
                     ATIVA_ERR_INVALID_ARGUMENT);

    /* Every session of ana: the two left; joão keeps his. */
    assert_int_equal(session_op(f->st, ATIVA_STORE_REVOKE_SESSION, NULL, ana, T0 + 7, 0, &out),
                     ATIVA_OK);
    assert_int_equal(out.count, 2);
    assert_int_equal(out.agent, ana);
    assert_int_equal(session_state(f->st, a2, T0 + 8), ATIVA_ERR_UNAUTHENTICATED);
    assert_int_equal(session_state(f->st, a3, T0 + 8), ATIVA_ERR_UNAUTHENTICATED);
    assert_int_equal(session_state(f->st, j1, T0 + 8), ATIVA_OK);
    assert_int_equal(session_op(f->st, ATIVA_STORE_REVOKE_SESSION, NULL, ana, T0 + 9, 0, &out),
                     ATIVA_OK);
    assert_int_equal(out.count, 0);
    assert_int_equal(session_op(f->st, ATIVA_STORE_REVOKE_SESSION, NULL, 77, T0, 0, NULL),
                     ATIVA_ERR_NOT_FOUND);
    assert_int_equal(session_op(f->st, ATIVA_STORE_REVOKE_SESSION, NULL, 0, T0, 0, NULL),
                     ATIVA_ERR_INVALID_ARGUMENT);
}

static void disabling_revokes_sessions(void **state)
{
    store_fixture *f = *state;
    uint64_t ana = add_agent(f->st, "ana", "Ana");
    uint64_t joao = add_agent(f->st, "joao", "João");
    char a1[ATIVA_AUTH_TOKEN_HASH_MAX], a2[ATIVA_AUTH_TOKEN_HASH_MAX],
        j1[ATIVA_AUTH_TOKEN_HASH_MAX];
    new_session(f->st, ana, T0, T0 + DAY, a1);
    new_session(f->st, ana, T0, T0 + DAY, a2);
    new_session(f->st, joao, T0, T0 + DAY, j1);
    ativa_store_in_agent in = {
        .login = "ana", .state = ATIVA_STORE_AGENT_DISABLE, .now_ms = T0 + 1};
    ativa_store_out out;
    assert_int_equal(put_agent(f->st, &in, &out), ATIVA_OK);
    assert_int_equal(out.count, 2);
    assert_int_equal(out.agent, ana);
    json_t *a = NULL;
    assert_int_equal(ativa_store_get_agent(f->st, ana, &a), ATIVA_OK);
    assert_true(json_is_true(json_object_get(a, "disabled")));
    json_decref(a);
    assert_int_equal(session_state(f->st, a1, T0 + 2), ATIVA_ERR_UNAUTHENTICATED);
    assert_int_equal(session_state(f->st, a2, T0 + 2), ATIVA_ERR_UNAUTHENTICATED);
    assert_int_equal(session_state(f->st, j1, T0 + 2), ATIVA_OK);
    /* Disabling again revokes nothing more. */
    assert_int_equal(put_agent(f->st, &in, &out), ATIVA_OK);
    assert_int_equal(out.count, 0);
    /* Enabling does not bring the old sessions back; a new login works. */
    in.state = ATIVA_STORE_AGENT_ENABLE;
    assert_int_equal(put_agent(f->st, &in, &out), ATIVA_OK);
    assert_int_equal(session_state(f->st, a1, T0 + 3), ATIVA_ERR_UNAUTHENTICATED);
    char a3[ATIVA_AUTH_TOKEN_HASH_MAX];
    new_session(f->st, ana, T0 + 3, T0 + DAY, a3);
    assert_int_equal(session_state(f->st, a3, T0 + 4), ATIVA_OK);
}

static void login_throttle_survives_restart(void **state)
{
    store_fixture *f = *state;
    uint32_t n = 99;
    int64_t last = 99;
    assert_int_equal(ativa_store_login_failures(f->st, "ana", &n, &last), ATIVA_OK);
    assert_int_equal(n, 0);
    assert_int_equal(last, 0);
    ativa_store_out out;
    /* No agent called "ana" exists: the throttle counts anyway. */
    for (int i = 1; i <= 5; i++) {
        assert_int_equal(login_op(f->st, ATIVA_STORE_LOGIN_FAILED, "ana", T0 + i, &out), ATIVA_OK);
        assert_int_equal(out.count, (unsigned)i);
    }
    assert_int_equal(login_op(f->st, ATIVA_STORE_LOGIN_FAILED, "joao", T0, NULL), ATIVA_OK);
    fixture_reopen(f);
    assert_int_equal(ativa_store_login_failures(f->st, "ana", &n, &last), ATIVA_OK);
    assert_int_equal(n, 5);
    assert_int_equal(last, T0 + 5);
    assert_true(ativa_auth_retry_after_ms(n, last) > T0 + 5);
    assert_int_equal(login_op(f->st, ATIVA_STORE_LOGIN_SUCCEEDED, "ana", T0 + 9, NULL), ATIVA_OK);
    assert_int_equal(ativa_store_login_failures(f->st, "ana", &n, &last), ATIVA_OK);
    assert_int_equal(n, 0);
    assert_int_equal(last, 0);
    assert_int_equal(ativa_store_login_failures(f->st, "joao", &n, &last), ATIVA_OK);
    assert_int_equal(n, 1);
    /* Forgetting nothing is fine too. */
    assert_int_equal(login_op(f->st, ATIVA_STORE_LOGIN_SUCCEEDED, "ana", T0 + 9, NULL), ATIVA_OK);
    assert_int_equal(login_op(f->st, ATIVA_STORE_LOGIN_FAILED, "Ana!", T0, NULL),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(login_op(f->st, ATIVA_STORE_LOGIN_SUCCEEDED, NULL, T0, NULL),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_login_failures(f->st, "Ana!", &n, &last),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_login_failures(NULL, "ana", &n, &last),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_login_failures(f->st, "ana", NULL, &last),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(db_entries(f->st, "login_failures"), 1);
}

static void purge_removes_old_sessions_and_failures(void **state)
{
    store_fixture *f = *state;
    const int64_t P = ATIVA_STORE_PURGE_AFTER_MS;
    uint64_t ana = add_agent(f->st, "ana", "Ana");
    char expired_long_ago[ATIVA_AUTH_TOKEN_HASH_MAX], expired_recently[ATIVA_AUTH_TOKEN_HASH_MAX],
        revoked_long_ago[ATIVA_AUTH_TOKEN_HASH_MAX], revoked_recently[ATIVA_AUTH_TOKEN_HASH_MAX],
        live[ATIVA_AUTH_TOKEN_HASH_MAX];
    const int64_t now = T0 + 10 * P;
    new_session(f->st, ana, T0, now - P, expired_long_ago);
    new_session(f->st, ana, T0, now - P + 1, expired_recently);
    new_session(f->st, ana, T0, now + P, revoked_long_ago);
    new_session(f->st, ana, T0, now + P, revoked_recently);
    new_session(f->st, ana, T0, now + P, live);
    assert_int_equal(
        session_op(f->st, ATIVA_STORE_REVOKE_SESSION, revoked_long_ago, 0, now - P, 0, NULL),
        ATIVA_OK);
    assert_int_equal(
        session_op(f->st, ATIVA_STORE_REVOKE_SESSION, revoked_recently, 0, now - 1, 0, NULL),
        ATIVA_OK);
    assert_int_equal(login_op(f->st, ATIVA_STORE_LOGIN_FAILED, "old", now - P, NULL), ATIVA_OK);
    assert_int_equal(login_op(f->st, ATIVA_STORE_LOGIN_FAILED, "recent", now - 1, NULL), ATIVA_OK);
    ativa_store_out out;
    assert_int_equal(session_op(f->st, ATIVA_STORE_PURGE_SESSIONS, NULL, 0, now, 0, &out),
                     ATIVA_OK);
    assert_int_equal(out.count, 2);
    assert_int_equal(db_entries(f->st, "sessions"), 3);
    assert_int_equal(db_entries(f->st, "sessions_by_agent"), 3);
    assert_int_equal(db_entries(f->st, "login_failures"), 1);
    uint32_t n;
    int64_t last;
    assert_int_equal(ativa_store_login_failures(f->st, "recent", &n, &last), ATIVA_OK);
    assert_int_equal(n, 1);
    assert_int_equal(session_state(f->st, live, now), ATIVA_OK);
    /* Revoking every session of the agent still works with index entries purged. */
    assert_int_equal(session_op(f->st, ATIVA_STORE_REVOKE_SESSION, NULL, ana, now, 0, &out),
                     ATIVA_OK);
    assert_int_equal(out.count, 1);
    /* Nothing more to purge at the same instant. */
    assert_int_equal(session_op(f->st, ATIVA_STORE_PURGE_SESSIONS, NULL, 0, now, 0, &out),
                     ATIVA_OK);
    assert_int_equal(out.count, 0);
    /* A day after the last revocation, every session goes. */
    assert_int_equal(session_op(f->st, ATIVA_STORE_PURGE_SESSIONS, NULL, 0, now + P, 0, &out),
                     ATIVA_OK);
    assert_int_equal(out.count, 3);
    assert_int_equal(db_entries(f->st, "sessions"), 0);
    assert_int_equal(db_entries(f->st, "sessions_by_agent"), 0);
    assert_int_equal(db_entries(f->st, "login_failures"), 0);
}

/* ---- schema 1 -> 2 ---- */

/* A schema-1 data directory as the previous release left it: the marker, a line, no agents. */
static void write_v1(const char *dir, bool stray_agent)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta, lines, agents;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
    assert_int_equal(mdb_env_open(env, dir, 0, 0640), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", MDB_CREATE, &meta), 0);
    unsigned char v[4] = {0, 0, 0, 1};
    MDB_val k = {strlen("schema_version"), "schema_version"}, val = {4, v};
    assert_int_equal(mdb_put(txn, meta, &k, &val, 0), 0);
    assert_int_equal(mdb_dbi_open(txn, "lines", MDB_CREATE, &lines), 0);
    const char *rec = "{\"display_number\":\"15550783881\",\"label\":\"Vendas\","
                      "\"phone_number_id\":\"" LINE "\",\"waba_id\":\"" WABA "\"}";
    MDB_val lk = {strlen(LINE), LINE}, lv = {strlen(rec), (void *)rec};
    assert_int_equal(mdb_put(txn, lines, &lk, &lv, 0), 0);
    if (stray_agent) {
        assert_int_equal(mdb_dbi_open(txn, "agents", MDB_CREATE, &agents), 0);
        unsigned char id[8] = {0, 0, 0, 0, 0, 0, 0, 1};
        MDB_val ak = {8, id}, av = {2, "{}"};
        assert_int_equal(mdb_put(txn, agents, &ak, &av, 0), 0);
    }
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static uint32_t read_schema_marker(const char *dir)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
    assert_int_equal(mdb_env_open(env, dir, MDB_RDONLY, 0640), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    MDB_val k = {strlen("schema_version"), "schema_version"}, v;
    assert_int_equal(mdb_get(txn, meta, &k, &v), 0);
    assert_int_equal(v.mv_size, 4);
    const unsigned char *b = v.mv_data;
    uint32_t version = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return version;
}

static void schema_one_gains_agents(void **state)
{
    (void)state;
    assert_int_equal(ATIVA_STORE_SCHEMA_VERSION, 2);
    char *dir = test_make_temp_dir("ativa-store-v1");
    write_v1(dir, false);
    assert_int_equal(read_schema_marker(dir), 1);
    ativa_store_config cfg = ativa_store_config_default(dir);
    ativa_store *st = NULL;
    assert_int_equal(ativa_store_open(&cfg, &st), ATIVA_OK);
    json_t *line = NULL;
    assert_int_equal(ativa_store_get_line(st, LINE, &line), ATIVA_OK);
    assert_string_equal(jstr(line, "label"), "Vendas");
    json_decref(line);
    static const char *added[] = {"agents", "agent_logins", "sessions", "sessions_by_agent",
                                  "login_failures"};
    for (size_t i = 0; i < sizeof added / sizeof added[0]; i++)
        assert_int_equal(db_entries(st, added[i]), 0);
    uint64_t id = add_agent(st, "ana", "Ana");
    char hash[ATIVA_AUTH_TOKEN_HASH_MAX];
    new_session(st, id, T0, T0 + DAY, hash);
    ativa_store_close(st);
    assert_int_equal(read_schema_marker(dir), 2);
    assert_int_equal(ativa_store_open(&cfg, &st), ATIVA_OK);
    assert_int_equal(session_state(st, hash, T0 + 1), ATIVA_OK);
    assert_int_equal(db_entries(st, "agents"), 1);
    ativa_store_close(st);
    test_remove_tree(dir);
    free(dir);
}

static void schema_one_with_agents_is_refused(void **state)
{
    (void)state;
    char *dir = test_make_temp_dir("ativa-store-v1x");
    write_v1(dir, true);
    ativa_store_config cfg = ativa_store_config_default(dir);
    ativa_store *st = NULL;
    assert_int_equal(ativa_store_open(&cfg, &st), ATIVA_ERR_STORE_CORRUPT);
    assert_null(st);
    assert_int_equal(read_schema_marker(dir), 1);
    test_remove_tree(dir);
    free(dir);
}

/* ---- records damaged outside the store ---- */

static void put_raw(const char *dir, const char *db, const void *key, size_t klen,
                    const char *value)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
    assert_int_equal(mdb_env_open(env, dir, 0, 0640), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, db, 0, &dbi), 0);
    MDB_val k = {klen, (void *)key}, v = {strlen(value), (void *)value};
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static void damaged_records_are_reported(void **state)
{
    store_fixture *f = *state;
    uint64_t id = add_agent(f->st, "ana", "Ana");
    char hash[ATIVA_AUTH_TOKEN_HASH_MAX];
    new_session(f->st, id, T0, T0 + DAY, hash);
    ativa_store_close(f->st);
    f->st = NULL;
    /* A login pointing at no agent; a session without its fields; a garbled failure count. */
    unsigned char ghost[8] = {0, 0, 0, 0, 0, 0, 0, 9};
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
    assert_int_equal(mdb_env_open(env, f->dir, 0, 0640), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "agent_logins", 0, &dbi), 0);
    MDB_val k = {5, "ghost"}, v = {8, ghost};
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    MDB_val k2 = {3, "bad"}, v2 = {3, "abc"};
    assert_int_equal(mdb_put(txn, dbi, &k2, &v2, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    put_raw(f->dir, "sessions", hash, 64, "{\"agent\":1}");
    put_raw(f->dir, "login_failures", "ana", 3, "{\"failures\":-4}");
    fixture_reopen(f);

    json_t *a = NULL;
    assert_int_equal(ativa_store_get_agent_by_login(f->st, "ghost", false, &a),
                     ATIVA_ERR_STORE_CORRUPT);
    assert_int_equal(ativa_store_get_agent_by_login(f->st, "bad", false, &a),
                     ATIVA_ERR_STORE_CORRUPT);
    ativa_store_in_agent in = {.login = "ghost", .name = "G", .now_ms = T0};
    assert_int_equal(put_agent(f->st, &in, NULL), ATIVA_ERR_STORE_CORRUPT);
    assert_int_equal(session_state(f->st, hash, T0), ATIVA_ERR_STORE_CORRUPT);
    assert_int_equal(session_op(f->st, ATIVA_STORE_REVOKE_SESSION, hash, 0, T0, 0, NULL),
                     ATIVA_ERR_STORE_CORRUPT);
    assert_int_equal(session_op(f->st, ATIVA_STORE_PURGE_SESSIONS, NULL, 0, T0, 0, NULL),
                     ATIVA_ERR_STORE_CORRUPT);
    uint32_t n;
    int64_t last;
    assert_int_equal(ativa_store_login_failures(f->st, "ana", &n, &last), ATIVA_ERR_STORE_CORRUPT);
    assert_int_equal(login_op(f->st, ATIVA_STORE_LOGIN_FAILED, "ana", T0, NULL),
                     ATIVA_ERR_STORE_CORRUPT);
    /* The agent record itself, unreadable. */
    ativa_store_close(f->st);
    f->st = NULL;
    unsigned char one[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    put_raw(f->dir, "agents", one, 8, "[1]");
    fixture_reopen(f);
    assert_int_equal(ativa_store_get_agent(f->st, id, &a), ATIVA_ERR_STORE_CORRUPT);
    assert_null(a);
    json_t *list = NULL;
    assert_int_equal(ativa_store_list_agents(f->st, &list), ATIVA_ERR_STORE_CORRUPT);
    assert_null(list);
}

static void session_of_disabled_agent_is_refused(void **state)
{
    store_fixture *f = *state;
    uint64_t id = add_agent(f->st, "ana", "Ana");
    char hash[ATIVA_AUTH_TOKEN_HASH_MAX];
    new_session(f->st, id, T0, T0 + DAY, hash);
    /* Disabled by a writer that did not revoke (an older tool, a restored copy): the flag alone
     * still keeps the session out. */
    ativa_store_close(f->st);
    f->st = NULL;
    unsigned char key[8] = {0, 0, 0, 0, 0, 0, 0, (unsigned char)id};
    put_raw(f->dir, "agents", key, 8,
            "{\"id\":1,\"login\":\"ana\",\"name\":\"Ana\",\"role\":\"agent\","
            "\"lines\":null,\"disabled\":true}");
    fixture_reopen(f);
    assert_int_equal(session_state(f->st, hash, T0 + 1), ATIVA_ERR_UNAUTHENTICATED);
    /* And a session whose agent record is gone. */
    ativa_store_close(f->st);
    f->st = NULL;
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
    assert_int_equal(mdb_env_open(env, f->dir, 0, 0640), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "agents", 0, &dbi), 0);
    MDB_val k = {8, key};
    assert_int_equal(mdb_del(txn, dbi, &k, NULL), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    fixture_reopen(f);
    assert_int_equal(session_state(f->st, hash, T0 + 1), ATIVA_ERR_UNAUTHENTICATED);
}

/* ---- backup ---- */

typedef struct writer_arg {
    ativa_store *st;
    atomic_int stop;
    int writes;
} writer_arg;

static void *write_loop(void *p)
{
    writer_arg *w = p;
    char login[32];
    while (!w->stop && w->writes < 2000) {
        snprintf(login, sizeof login, "w%d", w->writes);
        ativa_store_in_agent in = {
            .login = login, .name = "Writer", .password_hash = HASH1, .now_ms = T0};
        if (put_agent(w->st, &in, NULL) == ATIVA_OK)
            w->writes++;
    }
    return NULL;
}

static void backup_copy_opens_with_same_data(void **state)
{
    store_fixture *f = *state;
    assert_int_equal(put_line(f->st, LINE, WABA), ATIVA_OK);
    uint64_t id = add_agent(f->st, "ana", "Ana");
    char hash[ATIVA_AUTH_TOKEN_HASH_MAX];
    new_session(f->st, id, T0, T0 + DAY, hash);
    for (int compact = 0; compact <= 1; compact++) {
        char *dest = test_make_temp_dir("ativa-backup");
        assert_int_equal(ativa_store_backup(f->st, dest, compact), ATIVA_OK);
        /* A second copy into the same place would mix two snapshots: refused. */
        assert_int_equal(ativa_store_backup(f->st, dest, compact), ATIVA_ERR_EXISTS);
        ativa_store_config cfg = ativa_store_config_default(dest);
        ativa_store *copy = NULL;
        assert_int_equal(ativa_store_open(&cfg, &copy), ATIVA_OK);
        json_t *a = NULL, *line = NULL;
        assert_int_equal(ativa_store_get_agent_by_login(copy, "ana", true, &a), ATIVA_OK);
        assert_string_equal(jstr(a, "password_hash"), HASH1);
        json_decref(a);
        assert_int_equal(ativa_store_get_line(copy, LINE, &line), ATIVA_OK);
        json_decref(line);
        assert_int_equal(session_state(copy, hash, T0 + 1), ATIVA_OK);
        ativa_store_close(copy);
        test_remove_tree(dest);
        free(dest);
    }
    assert_int_equal(ativa_store_backup(f->st, "/nonexistent/ativa/backup", false),
                     ATIVA_ERR_NOT_FOUND);
    assert_int_equal(ativa_store_backup(f->st, NULL, false), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_backup(f->st, "", false), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_backup(NULL, "/tmp", false), ATIVA_ERR_INVALID_ARGUMENT);
}

static void backup_while_writing_is_consistent(void **state)
{
    store_fixture *f = *state;
    writer_arg w = {.st = f->st, .stop = 0, .writes = 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, write_loop, &w), 0);
    while (w.writes < 20)
        sched_yield();
    char *dest = test_make_temp_dir("ativa-backup-hot");
    assert_int_equal(ativa_store_backup(f->st, dest, true), ATIVA_OK);
    w.stop = 1;
    pthread_join(t, NULL);
    ativa_store_config cfg = ativa_store_config_default(dest);
    ativa_store *copy = NULL;
    assert_int_equal(ativa_store_open(&cfg, &copy), ATIVA_OK);
    /* Every agent in the copy has its login index entry: no half-applied write. */
    json_t *list = NULL;
    assert_int_equal(ativa_store_list_agents(copy, &list), ATIVA_OK);
    size_t n = json_array_size(list);
    assert_true(n >= 20);
    assert_true(n <= (size_t)w.writes);
    assert_int_equal(db_entries(copy, "agent_logins"), n);
    json_t *last = json_array_get(list, n - 1);
    json_t *by_login = NULL;
    assert_int_equal(ativa_store_get_agent_by_login(copy, jstr(last, "login"), false, &by_login),
                     ATIVA_OK);
    assert_int_equal(jint(by_login, "id"), jint(last, "id"));
    json_decref(by_login);
    json_decref(list);
    ativa_store_close(copy);
    test_remove_tree(dest);
    free(dest);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(agent_created_and_read_back),
        T(update_changes_only_what_is_given),
        T(bad_agent_inputs_change_nothing),
        T(session_lives_until_expires_ms),
        T(session_creation_refusals),
        T(revoke_one_and_all),
        T(disabling_revokes_sessions),
        T(login_throttle_survives_restart),
        T(purge_removes_old_sessions_and_failures),
        cmocka_unit_test(schema_one_gains_agents),
        cmocka_unit_test(schema_one_with_agents_is_refused),
        T(damaged_records_are_reported),
        T(session_of_disabled_agent_is_refused),
        T(backup_copy_opens_with_same_data),
        T(backup_while_writing_is_consistent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
