/* dialog_info.h: RFC 4235 dialog-info documents (the dialog event package) as a busy
 * lamp: the dialogs of the watched user, merged across full and partial NOTIFYs, and the
 * lamp they make (idle, ringing, in call). Pure functions, any thread; fuzzed and
 * unit-tested with pidf.h. */
#ifndef TTY_DIALOG_INFO_H
#define TTY_DIALOG_INFO_H

#include <stdbool.h>
#include <stddef.h>

#define DLG_MAX 8               /* dialogs kept per watched user; more are not shown */
#define DLG_ID 96

enum blf_state { BLF_UNKNOWN = 0, BLF_IDLE, BLF_RINGING, BLF_INCALL };

enum dlg_phase { DLG_TRYING, DLG_PROCEEDING, DLG_EARLY, DLG_CONFIRMED, DLG_TERMINATED };

struct dlg_entry {
	char id[DLG_ID];
	char call_id[DLG_ID * 2];
	char local_tag[DLG_ID], remote_tag[DLG_ID];   /* the watched user's, and the peer's */
	bool recipient;          /* direction="recipient": the watched user is being called */
	enum dlg_phase phase;
	char peer[160];          /* <remote><identity>: who the watched user talks to */
};

struct dlg_set {
	struct dlg_entry d[DLG_MAX];
	unsigned n;
	long version;            /* the last document's version; -1 before any */
};

void dlg_set_init(struct dlg_set *s);
/* Apply one dialog-info document: state="full" replaces the set, "partial" updates and
 * adds dialogs by id; terminated dialogs leave it. An older version than the last is
 * ignored (returns 0, nothing changed). 0, or -1 with why (not XML, not dialog-info);
 * the set is then unchanged. */
int dlg_set_apply(struct dlg_set *s, const char *body, size_t len, char *why, size_t whylen);
/* The lamp: in call when a dialog is confirmed, or early/proceeding as the caller;
 * ringing when the user is called and it has not been answered; else idle. */
enum blf_state dlg_set_lamp(const struct dlg_set *s);
/* The ringing dialog (for a pickup with Replaces), or NULL. */
const struct dlg_entry *dlg_set_ringing(const struct dlg_set *s);
const char *blf_state_name(enum blf_state b);   /* "idle", "ringing", "in call", "unknown" */

#endif
