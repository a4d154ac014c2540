/* placeholder: being written */
#include "cloister/error.h"
