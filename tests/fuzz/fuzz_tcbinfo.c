/* TCB Info parser on arbitrary bytes: what it accepts is well formed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcbinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_advisories(const struct advisory_list *l)
{
	if (l->n > TCB_ADVISORY_MAX || (l->n > 0 && l->ids == NULL))
		abort();
	for (size_t i = 0; i < l->n; i++)
		if (strnlen(l->ids[i], CLOISTER_ADVISORY_LEN) == 0 ||
		    strnlen(l->ids[i], CLOISTER_ADVISORY_LEN) ==
		    CLOISTER_ADVISORY_LEN)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcb_info *ti = NULL;
	char why[256];

	if (tcb_info_parse((const char *)data, size, &ti, why,
	    sizeof(why)) != 0) {
		if (ti != NULL || why[0] == '\0')
			abort();
		return 0;
	}
	if (ti->nlevels == 0 || ti->nlevels > TCB_LEVELS_MAX ||
	    ti->nmodules > TCB_MODULES_MAX || ti->next_update < ti->issue_date ||
	    (ti->version != 2 && ti->version != 3) ||
	    (ti->is_tdx && ti->version != 3))
		abort();
	for (size_t i = 0; i < ti->nlevels; i++) {
		if (ti->levels[i].status == CLOISTER_TCB_UNKNOWN ||
		    ti->levels[i].status == CLOISTER_TCB_TD_RELAUNCH_ADVISED ||
		    ti->levels[i].status ==
		    CLOISTER_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED ||
		    ti->levels[i].status == CLOISTER_TCB_NOT_SUPPORTED)
			abort();
		check_advisories(&ti->levels[i].advisories);
	}
	for (size_t m = 0; m < ti->nmodules; m++) {
		if (ti->modules[m].nlevels == 0 ||
		    strnlen(ti->modules[m].id, TCB_MODULE_ID_MAX) ==
		    TCB_MODULE_ID_MAX)
			abort();
		for (size_t i = 0; i < ti->modules[m].nlevels; i++)
			check_advisories(&ti->modules[m].levels[i].advisories);
	}
	tcb_info_free(ti);
	return 0;
}
