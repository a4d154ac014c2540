/*
 * libcurl, loaded on first use.  libcurl.so.4 and what it needs (HTTP/2,
 * SSH, LDAP, Kerberos, IDN, PSL, GnuTLS for LDAP...) take ~12 ms to map
 * and relocate at every start of the cloister binary, which most commands
 * (verify, workspace run and exec, keys, credits) never spend on an HTTP
 * request.  The binary defines the libcurl functions it calls; each
 * resolves the real one with dlopen()/dlsym() the first time.  When the
 * library cannot be loaded the call fails as libcurl's own would
 * (CURLE_FAILED_INIT, NULL), once with a message on stderr.
 *
 * The variadic setopt and getinfo calls forward their one argument by
 * the type libcurl encodes in the option's number (curl.h: CURLOPTTYPE_*:
 * long below 10000, a pointer below 30000, curl_off_t below 40000, a blob
 * pointer above; every getinfo argument is a pointer).
 */
#define CURL_DISABLE_TYPECHECK
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include <curl/curl.h>

#define LIBCURL	"libcurl.so.4"

static void *lib;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
load(void)
{
	if ((lib = dlopen(LIBCURL, RTLD_NOW | RTLD_LOCAL)) == NULL)
		fprintf(stderr, "cloister: %s cannot be loaded: %s\n", LIBCURL,
		    dlerror());
}

static void *
sym(const char *name)
{
	void *p;

	pthread_once(&once, load);
	if (lib == NULL)
		return NULL;
	if ((p = dlsym(lib, name)) == NULL)
		fprintf(stderr, "cloister: %s has no %s\n", LIBCURL, name);
	return p;
}

/* One function: its pointer, resolved once, and the call or the value
 * libcurl returns when it cannot even start. */
#define FN(ret, name, params, args, fail) \
	ret name params \
	{ \
		static ret (*real) params; \
		if (real == NULL && (real = (ret (*) params)sym(#name)) == NULL) \
			return fail; \
		return real args; \
	}
#define VFN(name, params, args) \
	void name params \
	{ \
		static void (*real) params; \
		if (real == NULL && (real = (void (*) params)sym(#name)) == NULL) \
			return; \
		real args; \
	}

FN(CURLcode, curl_global_init, (long f), (f), CURLE_FAILED_INIT)
VFN(curl_global_cleanup, (void), ())
FN(CURL *, curl_easy_init, (void), (), NULL)
VFN(curl_easy_cleanup, (CURL *e), (e))
VFN(curl_easy_reset, (CURL *e), (e))
FN(CURLcode, curl_easy_perform, (CURL *e), (e), CURLE_FAILED_INIT)
FN(CURLcode, curl_easy_pause, (CURL *e, int b), (e, b), CURLE_FAILED_INIT)
FN(const char *, curl_easy_strerror, (CURLcode c), (c),
    "libcurl cannot be loaded")
FN(char *, curl_easy_unescape, (CURL *e, const char *s, int n, int *o),
    (e, s, n, o), NULL)
VFN(curl_free, (void *m), (m))
FN(CURLM *, curl_multi_init, (void), (), NULL)
FN(CURLMcode, curl_multi_cleanup, (CURLM *m), (m), CURLM_INTERNAL_ERROR)
FN(CURLMcode, curl_multi_add_handle, (CURLM *m, CURL *e), (m, e),
    CURLM_INTERNAL_ERROR)
FN(CURLMcode, curl_multi_remove_handle, (CURLM *m, CURL *e), (m, e),
    CURLM_INTERNAL_ERROR)
FN(CURLMcode, curl_multi_assign, (CURLM *m, curl_socket_t s, void *a),
    (m, s, a), CURLM_INTERNAL_ERROR)
FN(CURLMsg *, curl_multi_info_read, (CURLM *m, int *n), (m, n), NULL)
FN(CURLMcode, curl_multi_socket_action,
    (CURLM *m, curl_socket_t s, int ev, int *running), (m, s, ev, running),
    CURLM_INTERNAL_ERROR)
FN(struct curl_slist *, curl_slist_append,
    (struct curl_slist *l, const char *s), (l, s), NULL)
VFN(curl_slist_free_all, (struct curl_slist *l), (l))
FN(CURLU *, curl_url, (void), (), NULL)
VFN(curl_url_cleanup, (CURLU *u), (u))
FN(CURLU *, curl_url_dup, (CURLU *u), (u), NULL)
FN(CURLUcode, curl_url_get,
    (CURLU *u, CURLUPart w, char **part, unsigned int f), (u, w, part, f),
    CURLUE_OUT_OF_MEMORY)
FN(CURLUcode, curl_url_set,
    (CURLU *u, CURLUPart w, const char *part, unsigned int f),
    (u, w, part, f), CURLUE_OUT_OF_MEMORY)

/* setopt: the argument as libcurl's option number says it was passed. */
#define SETOPT(name, H, OPT, RET, FAIL) \
	RET name(H *h, OPT opt, ...) \
	{ \
		static RET (*p)(H *, OPT, ...); \
		va_list ap; \
		RET r; \
		if (p == NULL && (p = (RET (*)(H *, OPT, ...))sym(#name)) == \
		    NULL) \
			return FAIL; \
		va_start(ap, opt); \
		if ((int)opt < CURLOPTTYPE_OBJECTPOINT) \
			r = p(h, opt, va_arg(ap, long)); \
		else if ((int)opt < CURLOPTTYPE_OFF_T) \
			r = p(h, opt, va_arg(ap, void *)); \
		else if ((int)opt < CURLOPTTYPE_BLOB) \
			r = p(h, opt, va_arg(ap, curl_off_t)); \
		else \
			r = p(h, opt, va_arg(ap, void *)); \
		va_end(ap); \
		return r; \
	}

SETOPT(curl_easy_setopt, CURL, CURLoption, CURLcode, CURLE_FAILED_INIT)
SETOPT(curl_multi_setopt, CURLM, CURLMoption, CURLMcode,
    CURLM_INTERNAL_ERROR)

CURLcode
curl_easy_getinfo(CURL *e, CURLINFO info, ...)
{
	static CURLcode (*p)(CURL *, CURLINFO, ...);
	va_list ap;
	void *arg;

	if (p == NULL && (p = (CURLcode (*)(CURL *, CURLINFO, ...))
	    sym("curl_easy_getinfo")) == NULL)
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	arg = va_arg(ap, void *);
	va_end(ap);
	return p(e, info, arg);
}
