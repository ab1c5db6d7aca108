/* calllog.h - KERNTOK_LOG=calls: one line per C_* call with its arguments,
 * outputs and CK_RV name (the generated entry points call these). */
#ifndef KT_CALLLOG_H
#define KT_CALLLOG_H
#include "kt.h"
void kt_clog_begin(kt_app *a, const char *fn);
void kt_clog_ulong(const char *name, CK_ULONG v);
void kt_clog_ptr(const char *name, const void *p);
void kt_clog_user(const char *name, CK_USER_TYPE u);
void kt_clog_attrs(const char *name, const CK_ATTRIBUTE *t, CK_ULONG n);
void kt_clog_mech(const char *name, const CK_MECHANISM *m);
void kt_clog_out_ulong(const char *name, const CK_ULONG *p, CK_RV rv);
void kt_clog_end(CK_RV rv);
#endif
