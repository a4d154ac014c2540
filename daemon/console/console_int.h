/*
 * Inside the console (console.h): what the sign-in, sessions and files
 * (console.c) and the admin API (admin.c) share -- who is calling, the
 * API's entry, and the JSON replies both send.
 */
#ifndef CLOISTER_CONSOLE_INT_H
#define CLOISTER_CONSOLE_INT_H

#include <event2/http.h>

#include <jansson.h>

#include "gateway.h"
#include "ledger.h"

struct console_caller {
	char		 key_id[LEDGER_ID_MAX];
	int		 admin;		/* may change things */
};

/* admin.c: one API call from an authorised caller; rest is the path
 * after /admin/api/. */
void	admin_api(struct gw *gw, struct evhttp_request *req, const char *rest,
	    const struct console_caller *who);
/* admin_tools.c: GET /admin/api/tools, answered from the worker. */
void	admin_tools(struct gw *gw, struct evhttp_request *req);
/* console.c: replies shared by both files. */
void	admin_json(struct evhttp_request *req, int status, json_t *o);
void	admin_error(struct evhttp_request *req, int status, const char *code,
	    const char *msg);

#endif
