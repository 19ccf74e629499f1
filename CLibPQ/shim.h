#ifndef EVENTIDE_CLIBPQ_SHIM_H
#define EVENTIDE_CLIBPQ_SHIM_H

#include <libpq-fe.h>

// Swift does not import postgres_ext.h's character-literal macros (PG_DIAG_*): the error
// fields read with PQresultErrorField are named here.
static const int eventide_pg_diag_severity_nonlocalized = PG_DIAG_SEVERITY_NONLOCALIZED;
static const int eventide_pg_diag_sqlstate = PG_DIAG_SQLSTATE;
static const int eventide_pg_diag_message_primary = PG_DIAG_MESSAGE_PRIMARY;
static const int eventide_pg_diag_message_detail = PG_DIAG_MESSAGE_DETAIL;
static const int eventide_pg_diag_message_hint = PG_DIAG_MESSAGE_HINT;

#endif
