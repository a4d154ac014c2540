/*
 * URLs that decide trust (net/url.c): loopback is an exact host, never a
 * prefix; userinfo, queries and schemes other than http(s) are refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "testutil.h"
#include "url.h"

struct case_ {
	const char	*url;
	int		 ok;		/* parses */
	int		 loopback;
	int		 has_path;
};

static void
test_parse(void **state)
{
	static const struct case_ cases[] = {
		{ "http://127.0.0.1:8000/v1", 1, 1, 1 },
		{ "http://127.0.0.1", 1, 1, 0 },
		{ "http://127.0.0.1/", 1, 1, 0 },
		{ "http://127.9.8.7:1/", 1, 1, 0 },
		{ "http://localhost/v1", 1, 1, 1 },
		{ "HTTP://LOCALHOST:80", 1, 1, 0 },
		{ "http://[::1]:9/x", 1, 1, 1 },
		{ "https://gateway.example", 1, 0, 0 },
		/* Prefixes of loopback names are other hosts. */
		{ "http://127.0.0.1.attacker.example/v1", 1, 0, 1 },
		{ "http://localhost.x.net/", 1, 0, 0 },
		{ "http://localhost./", 1, 0, 0 },
		{ "http://[::2]/", 1, 0, 0 },
		{ "http://0.0.0.0/", 1, 0, 0 },
		{ "http://128.0.0.1/", 1, 0, 0 },
		/* Userinfo: the host is after the @, and it is refused. */
		{ "http://127.0.0.1@evil.example:80", 0, 0, 0 },
		{ "http://127.0.0.1:@remote.example/v1", 0, 0, 0 },
		{ "http://user:pw@127.0.0.1/", 0, 0, 0 },
		{ "http://127.0.0.1/v1?x=1", 0, 0, 0 },
		{ "http://127.0.0.1/v1#f", 0, 0, 0 },
		{ "ftp://127.0.0.1/", 0, 0, 0 },
		{ "file:///etc/passwd", 0, 0, 0 },
		{ "127.0.0.1:8000", 0, 0, 0 },
		{ "", 0, 0, 0 },
		{ "http://", 0, 0, 0 },
	};
	struct url_parts u;
	char why[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct case_ *c = &cases[i];
		int r = url_parse_http(c->url, &u, why, sizeof(why));

		if ((r == 0) != c->ok || (r == 0 && (u.loopback != c->loopback ||
		    u.has_path != c->has_path))) {
			print_error("%s: rc %d loopback %d path %d (%s)\n",
			    c->url, r, u.loopback, u.has_path, why);
			fail();
		}
		if (r != 0) {
			assert_int_equal(r, CLOISTER_ERR_CONFIG);
			/* The reason never quotes the URL (it may carry a
			 * secret). */
			assert_null(strstr(why, "evil"));
			assert_null(strstr(why, "pw"));
		}
	}
	assert_int_equal(url_parse_http("http://[::1]:9/", &u, why,
	    sizeof(why)), 0);
	assert_int_equal(u.port, 9);
	assert_int_equal(url_parse_http("https://h.example/", &u, why,
	    sizeof(why)), 0);
	assert_int_equal(u.port, 443);
	assert_string_equal(u.scheme, "https");
}

static void
test_hosts(void **state)
{
	(void)state;
	assert_true(url_host_is_loopback("127.0.0.1"));
	assert_true(url_host_is_loopback("127.255.255.254"));
	assert_true(url_host_is_loopback("localhost"));
	assert_true(url_host_is_loopback("LocalHost"));
	assert_true(url_host_is_loopback("::1"));
	assert_true(url_host_is_loopback("[::1]"));
	assert_true(url_host_is_loopback("0:0:0:0:0:0:0:1"));
	assert_false(url_host_is_loopback("127.0.0.1.example"));
	assert_false(url_host_is_loopback("localhost.example"));
	assert_false(url_host_is_loopback("LOCALHOSTS"));
	assert_false(url_host_is_loopback("0.0.0.0"));
	assert_false(url_host_is_loopback("::"));
	assert_false(url_host_is_loopback("[::1"));
	assert_false(url_host_is_loopback("::ffff:127.0.0.1"));
	assert_false(url_host_is_loopback(""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_hosts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
