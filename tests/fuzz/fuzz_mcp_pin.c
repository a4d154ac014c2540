/*
 * Tool lists as servers send them: any JSON is pinned, compared or
 * refused; markers are looked for in any text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mcp_pin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mcp_pins *p;
	static struct mcp_pin_report r;
	char why[128], *s;
	json_t *t;

	if (p == NULL && mcp_pins_open(":memory:", &p, why, sizeof(why)) != 0)
		abort();
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)mcp_injection_marker(s);
	free(s);
	if ((t = json_loadb((const char *)data, size, 0, NULL)) == NULL)
		return 0;
	if (mcp_pins_check(p, "srv", NULL, json_is_array(t) ? t :
	    json_object_get(t, "tools"), 1, &r) == 0 && r.n == 0)
		abort();	/* the instructions are always reported */
	json_decref(t);
	return 0;
}
