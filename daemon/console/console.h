/*
 * The console (docs/console.md): the page at /console and the JSON admin
 * API under /admin/api/ it uses.  Sign-in is with an admin key (or a team
 * key of scope "read"), which buys a session cookie (HttpOnly, SameSite=
 * Strict, Secure on TLS) that ends after console.idle seconds unused or at
 * sign-out; every change carries the session's CSRF token.  Scripts may
 * call the API with "Authorization: Bearer <key>" instead, without CSRF
 * (nothing ambient is sent).  Nothing the API answers holds request
 * content: the ledger, the audit log and the pins hold none.
 */
#ifndef CLOISTER_CONSOLE_H
#define CLOISTER_CONSOLE_H

#include <event2/http.h>

#include "gateway.h"

#define CONSOLE_SESSIONS_MAX	64
#define CONSOLE_TOKEN_HEX	64
#define CONSOLE_COOKIE		"cloister_session"

struct console;

int	console_new(struct gw *gw, struct console **out);
void	console_free(struct console *c);
/* /console, /console/<file>, /admin/api/... */
void	console_route(struct console *c, struct evhttp_request *req,
	    const char *path);

#endif
