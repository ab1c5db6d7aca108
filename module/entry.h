/* entry.h - what every kt_e_* entry needs: the init check and the session
 * lookup, written once. */
#ifndef KT_ENTRY_H
#define KT_ENTRY_H
#include "kt.h"
#include "entry_gen.h"

#define KT_CHECK_INIT(a) \
	do { if (!atomic_load_explicit(&(a)->initialized, memory_order_acquire)) \
		return CKR_CRYPTOKI_NOT_INITIALIZED; } while (0)

/* Run `expr` with `s` bound to the locked session `h`; returns its CK_RV. */
#define KT_WITH_SESSION(a, h, s, expr) \
	do { \
		kt_session *s; \
		CK_RV rv_; \
		KT_CHECK_INIT(a); \
		rv_ = kt_session_get((a), (h), &s); \
		if (rv_ != CKR_OK) \
			return rv_; \
		rv_ = (expr); \
		kt_session_release(s); \
		return rv_; \
	} while (0)
#endif
