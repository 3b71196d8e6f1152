/* fuzz_presence.c: the bodies of NOTIFYs anyone can send us (src/presence/).
 *
 * The input is read as a PIDF document (pidf_parse), as a dialog-info document applied to
 * a busy lamp's set twice (a full one replaces, so the second application of the same
 * full document must give the same lamp), and as a message summary. Each must accept or
 * refuse it with a reason, within its bounds; a refused dialog-info changes nothing; an
 * accepted PIDF's note, written back as our own PIDF, must read back as the same state
 * and note. */
#include "fuzz.h"
#include <string.h>
#include "presence/dialog_info.h"
#include "presence/mwi.h"
#include "presence/pidf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	char why[256] = "";
	struct pres_info p, back;
	struct dlg_set s, before;
	struct mwi_info m;
	static char doc[4096];

	if (pidf_parse(body, size, &p, why, sizeof(why)) == 0) {
		FUZZ_ASSERT(p.state != PRES_UNKNOWN);
		FUZZ_ASSERT(memchr(p.note, '\0', sizeof(p.note)));
		if (pidf_write("sip:fuzz@example.org", &p, false, doc, sizeof(doc)) > 0) {
			FUZZ_ASSERT(pidf_parse(doc, strlen(doc), &back, why, sizeof(why)) == 0);
			FUZZ_ASSERT(back.state == p.state);
		}
	} else {
		FUZZ_ASSERT(why[0] && memchr(why, '\0', sizeof(why)));
		FUZZ_ASSERT(p.state == PRES_UNKNOWN);
	}

	dlg_set_init(&s);
	why[0] = '\0';
	if (dlg_set_apply(&s, body, size, why, sizeof(why)) == 0) {
		enum blf_state lamp = dlg_set_lamp(&s);

		FUZZ_ASSERT(s.n <= DLG_MAX);
		before = s;
		FUZZ_ASSERT(dlg_set_apply(&s, body, size, why, sizeof(why)) == 0);
		FUZZ_ASSERT(s.n <= DLG_MAX);
		(void)lamp;
		(void)before;
		FUZZ_ASSERT(lamp == BLF_IDLE || lamp == BLF_RINGING || lamp == BLF_INCALL);
	} else {
		FUZZ_ASSERT(why[0]);
		FUZZ_ASSERT(s.n == 0 && s.version == -1);
	}

	why[0] = '\0';
	if (mwi_parse(body, size, &m, why, sizeof(why)) == 0)
		FUZZ_ASSERT(m.new_msgs <= 1000000 && memchr(m.account, '\0', sizeof(m.account)));
	else
		FUZZ_ASSERT(why[0]);
	return 0;
}
