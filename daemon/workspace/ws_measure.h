/*
 * What a workspace needs measured (docs/internals/workspace.md, "RTMR
 * use"): the start event before its 201, the stop event when it ends.
 * The measuring is daemon/attestation.c's (attestation.h declares
 * gw_workspace_measure and gw_workspace_measure_stop); a build without
 * it links ws_measure.c's weak stand-ins, which refuse, so that no
 * workspace starts unmeasured (the admin API answers 503).
 */
#ifndef CLOISTER_WS_MEASURE_H
#define CLOISTER_WS_MEASURE_H

#include "attestation.h"

#endif
