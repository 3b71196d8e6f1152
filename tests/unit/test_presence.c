/* test_presence.c: the event packages' bodies read as a contact list shows them
 * (src/presence/): PIDF with RPID activities and notes as online/away/busy/offline (as
 * Kamailio, baresip and we write them), our own PIDF read back, dialog-info's full and
 * partial documents merged into a busy lamp (and the ringing dialog for a pickup), message
 * summaries' counts; malformed bodies refused with a reason and nothing changed. */
#include "presence/dialog_info.h"
#include "presence/mwi.h"
#include "presence/pidf.h"
#include "presence/sub_retry.h"
#include "presence/xml_doc.h"
#include "unit.h"

#include <string.h>

static int pidf(const char *body, struct pres_info *p)
{
	char why[200] = "";
	int rc = pidf_parse(body, strlen(body), p, why, sizeof(why));

	if (rc)
		CHECK(why[0] != '\0');
	return rc;
}

static void test_pidf_states_and_notes(void)
{
	struct pres_info p;
	/* RFC 3863's example, shortened */
	const char open_doc[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"pres:someone@example.com\">\n"
		" <tuple id=\"sg89ae\"><status><basic>open</basic></status>\n"
		"  <contact priority=\"0.8\">tel:+09012345678</contact><note>at the desk</note></tuple>\n"
		"</presence>";
	/* RPID as baresip and desktop phones write it: the person's activity and note */
	const char away_doc[] =
		"<presence xmlns='urn:ietf:params:xml:ns:pidf' "
		"xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model' "
		"xmlns:rpid='urn:ietf:params:xml:ns:pidf:rpid' entity='sip:bob@example.org'>"
		"<tuple id='t'><status><basic>open</basic></status><note>tuple note</note></tuple>"
		"<dm:person id='p'><rpid:activities><rpid:lunch/></rpid:activities>"
		"<dm:note>back at 2 &amp; later</dm:note></dm:person></presence>";
	const char busy_doc[] =
		"<presence xmlns='urn:ietf:params:xml:ns:pidf' "
		"xmlns:r='urn:ietf:params:xml:ns:pidf:rpid' entity='sip:b@x'>"
		"<tuple id='t'><status><basic>open</basic></status></tuple>"
		"<person xmlns='urn:ietf:params:xml:ns:pidf:data-model' id='p'>"
		"<r:activities><r:on-the-phone/></r:activities></person></presence>";
	const char closed_doc[] =
		"<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:b@x'>"
		"<tuple id='t'><status><basic>closed</basic></status></tuple></presence>";

	CHECK_INT(pidf(open_doc, &p), 0);
	CHECK_INT(p.state, PRES_ONLINE);
	CHECK_STR(p.note, "at the desk");
	CHECK_INT(pidf(away_doc, &p), 0);
	CHECK_INT(p.state, PRES_AWAY);
	CHECK_STR(p.note, "back at 2 & later");      /* the person's note first */
	CHECK_INT(pidf(busy_doc, &p), 0);
	CHECK_INT(p.state, PRES_BUSY);
	CHECK_INT(pidf(closed_doc, &p), 0);
	CHECK_INT(p.state, PRES_OFFLINE);
	CHECK_INT(pidf("", &p), 0);                   /* no publication: offline */
	CHECK_INT(p.state, PRES_OFFLINE);
	CHECK_INT(pidf(" \r\n", &p), 0);
	CHECK_INT(p.state, PRES_OFFLINE);
	CHECK_STR(pres_state_name(PRES_AWAY), "away");
	CHECK_INT(pres_state_parse("BUSY"), PRES_BUSY);
	CHECK_INT(pres_state_parse("available"), PRES_ONLINE);
	CHECK_INT(pres_state_parse("sideways"), -1);
}

static void test_malformed_pidf_is_refused_by_name(void)
{
	struct pres_info p;
	char why[200];
	const char doctype[] =
		"<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">]>"
		"<presence xmlns='urn:ietf:params:xml:ns:pidf'><note>&lol;</note></presence>";
	char deep[2000] = "<presence xmlns='urn:ietf:params:xml:ns:pidf'>";

	CHECK_INT(pidf("<presence", &p), -1);
	CHECK_INT(p.state, PRES_UNKNOWN);
	CHECK_INT(pidf_parse("<presence", 9, &p, why, sizeof(why)), -1);
	CHECK(strstr(why, "PIDF: not XML") == why);
	CHECK_INT(pidf("<presence><tuple/></presence>", &p), -1);   /* no namespace */
	CHECK_INT(pidf_parse("<x xmlns='urn:ietf:params:xml:ns:pidf'/>", 40, &p, why,
			     sizeof(why)), -1);
	CHECK(strstr(why, "not <presence>") != NULL);
	CHECK_INT(pidf_parse(doctype, strlen(doctype), &p, why, sizeof(why)), -1);
	CHECK(strstr(why, "DOCTYPE") != NULL);
	for (int i = 0; i < 40; i++)
		strcat(deep, "<a>");
	CHECK_INT(pidf_parse(deep, strlen(deep), &p, why, sizeof(why)), -1);
	CHECK(strstr(why, "deep") != NULL);
	{
		const char nul[] = "<presence xmlns='urn:ietf:params:xml:ns:pidf'>\0</presence>";

		CHECK_INT(pidf_parse(nul, sizeof(nul) - 1, &p, why, sizeof(why)), -1);
	}
}

static void test_our_pidf_reads_back(void)
{
	static const enum pres_state states[] = { PRES_ONLINE, PRES_AWAY, PRES_BUSY,
						  PRES_OFFLINE };
	char doc[2048];
	struct pres_info in, out;

	for (unsigned i = 0; i < 4; i++) {
		memset(&in, 0, sizeof(in));
		in.state = states[i];
		snprintf(in.note, sizeof(in.note), "<lunch> & \"tea\"\x01");
		CHECK(pidf_write("sip:alice@example.org", &in, i == 2, doc, sizeof(doc)) > 0);
		CHECK_INT(pidf(doc, &out), 0);
		CHECK_INT(out.state, in.state);
		CHECK_STR(out.note, "<lunch> & \"tea\"");   /* the control character: a space, trimmed */
	}
	CHECK(strstr(doc, "<basic>closed</basic>") != NULL);
	memset(&in, 0, sizeof(in));
	in.state = PRES_BUSY;
	CHECK(pidf_write("sip:a@b", &in, true, doc, sizeof(doc)) > 0);
	CHECK(strstr(doc, "<rp:on-the-phone/>") != NULL);
	CHECK_INT(pidf_write("sip:a@b", &in, false, doc, 100), -1);
}

#define DI_HEAD(state, version) \
	"<?xml version=\"1.0\"?>\n<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" " \
	"version=\"" version "\" state=\"" state "\" entity=\"sip:carol@example.org\">\n"

static int apply(struct dlg_set *s, const char *body)
{
	char why[200] = "";

	return dlg_set_apply(s, body, strlen(body), why, sizeof(why));
}

static void test_dialog_info_makes_a_busy_lamp(void)
{
	struct dlg_set s;
	const struct dlg_entry *r;
	/* as Kamailio's pua_dialoginfo writes them for a call alice -> carol */
	const char early[] = DI_HEAD("full", "1")
		"<dialog id=\"d1\" call-id=\"c1@x\" local-tag=\"lt\" remote-tag=\"rt\" "
		"direction=\"recipient\"><state>early</state>"
		"<remote><identity>sip:alice@example.org</identity></remote></dialog>"
		"</dialog-info>";
	const char confirmed[] = DI_HEAD("full", "2")
		"<dialog id=\"d1\" call-id=\"c1@x\" direction=\"recipient\">"
		"<state>confirmed</state></dialog></dialog-info>";
	const char ended[] = DI_HEAD("full", "3")
		"<dialog id=\"d1\" call-id=\"c1@x\" direction=\"recipient\">"
		"<state>terminated</state></dialog></dialog-info>";
	const char outgoing[] = DI_HEAD("partial", "4")
		"<dialog id=\"d2\" call-id=\"c2@x\" direction=\"initiator\">"
		"<state>proceeding</state></dialog></dialog-info>";
	const char stale[] = DI_HEAD("partial", "3")
		"<dialog id=\"d2\" direction=\"initiator\"><state>terminated</state></dialog>"
		"</dialog-info>";
	const char empty[] = DI_HEAD("full", "0") "</dialog-info>";

	dlg_set_init(&s);
	CHECK_INT(dlg_set_lamp(&s), BLF_IDLE);
	CHECK_INT(apply(&s, early), 0);
	CHECK_INT(dlg_set_lamp(&s), BLF_RINGING);
	CHECK((r = dlg_set_ringing(&s)) != NULL);
	if (r) {
		CHECK_STR(r->call_id, "c1@x");
		CHECK_STR(r->local_tag, "lt");
		CHECK_STR(r->remote_tag, "rt");
		CHECK_STR(r->peer, "sip:alice@example.org");
	}
	CHECK_INT(apply(&s, confirmed), 0);
	CHECK_INT(dlg_set_lamp(&s), BLF_INCALL);
	CHECK(dlg_set_ringing(&s) == NULL);
	CHECK_INT(apply(&s, ended), 0);
	CHECK_INT(dlg_set_lamp(&s), BLF_IDLE);
	CHECK_INT(s.n, 0);
	CHECK_INT(apply(&s, outgoing), 0);            /* a partial one adds */
	CHECK_INT(dlg_set_lamp(&s), BLF_INCALL);      /* calling out counts as busy */
	CHECK_INT(apply(&s, stale), 0);               /* older than the last: ignored */
	CHECK_INT(s.n, 1);
	CHECK_INT(apply(&s, empty), 0);               /* a full one with no dialog: idle */
	CHECK_INT(dlg_set_lamp(&s), BLF_IDLE);
	CHECK_STR(blf_state_name(BLF_INCALL), "in call");
}

static void test_malformed_dialog_info_changes_nothing(void)
{
	struct dlg_set s;
	char why[200];
	const char early[] = DI_HEAD("full", "1")
		"<dialog id=\"d1\" direction=\"recipient\"><state>early</state></dialog>"
		"</dialog-info>";
	const char cut[] = DI_HEAD("full", "2") "<dialog id=\"d1\"><state>confirmed";
	const char wrong[] = "<presence xmlns='urn:ietf:params:xml:ns:pidf'/>";

	dlg_set_init(&s);
	CHECK_INT(apply(&s, early), 0);
	CHECK_INT(dlg_set_apply(&s, cut, strlen(cut), why, sizeof(why)), -1);
	CHECK(strstr(why, "dialog-info: not XML") == why);
	CHECK_INT(dlg_set_apply(&s, wrong, strlen(wrong), why, sizeof(why)), -1);
	CHECK(strstr(why, "not <dialog-info>") != NULL);
	CHECK_INT(dlg_set_lamp(&s), BLF_RINGING);     /* as before */
	/* more dialogs than kept: the first DLG_MAX */
	{
		char doc[8192];
		size_t o = (size_t)snprintf(doc, sizeof(doc), DI_HEAD("full", "9"));

		for (int i = 0; i < DLG_MAX + 4; i++)
			o += (size_t)snprintf(doc + o, sizeof(doc) - o, "<dialog id=\"x%d\" "
					      "direction=\"recipient\"><state>early</state>"
					      "</dialog>", i);
		snprintf(doc + o, sizeof(doc) - o, "</dialog-info>");
		CHECK_INT(apply(&s, doc), 0);
		CHECK_INT(s.n, DLG_MAX);
	}
}

static void test_message_summaries(void)
{
	struct mwi_info m;
	char why[200];
	/* RFC 3842 section 6's example */
	const char ex[] = "Messages-Waiting: yes\r\n"
			  "Message-Account: sip:alice@vmail.example.com\r\n"
			  "Voice-Message: 2/8 (0/2)\r\n";
	const char fax[] = "Messages-Waiting: yes\r\nFax-Message: 1/0\r\nText-Message: 2/3\r\n";
	const char none[] = "Messages-Waiting: no\r\n";
	const char bad[] = "Voice-Message: 2/8\r\n";

	CHECK_INT(mwi_parse(ex, strlen(ex), &m, why, sizeof(why)), 0);
	CHECK(m.waiting);
	CHECK_INT(m.new_msgs, 2);
	CHECK_INT(m.old_msgs, 8);
	CHECK_INT(m.urgent_new, 0);
	CHECK_INT(m.urgent_old, 2);
	CHECK_STR(m.account, "sip:alice@vmail.example.com");
	CHECK_INT(mwi_parse(fax, strlen(fax), &m, why, sizeof(why)), 0);
	CHECK_INT(m.new_msgs, 3);                      /* no voice line: every class summed */
	CHECK_INT(m.old_msgs, 3);
	CHECK_INT(mwi_parse(none, strlen(none), &m, why, sizeof(why)), 0);
	CHECK(!m.waiting && m.new_msgs == 0);
	CHECK_INT(mwi_parse(bad, strlen(bad), &m, why, sizeof(why)), -1);
	CHECK(strstr(why, "Messages-Waiting") != NULL);
	CHECK_INT(mwi_parse(NULL, 0, &m, why, sizeof(why)), -1);
}

/* RFC 6665 4.1.3: deactivated/timeout again at once, probation/giveup after the asked
 * wait (or ours), rejected/noresource/invariant never; a refused SUBSCRIBE only when the
 * refusal is of the moment (408, 480, 5xx); waits are capped. */
static void test_when_an_ended_subscription_is_asked_for_again(void)
{
	CHECK(sub_retry_after(0, "deactivated", 0) == 1);
	CHECK(sub_retry_after(0, "timeout", 600) == 1);
	CHECK(sub_retry_after(0, "probation", 120) == 120);
	CHECK(sub_retry_after(0, "probation", 0) == SUB_RETRY_DEFAULT_S);
	CHECK(sub_retry_after(0, "giveup", 99999) == SUB_RETRY_MAX_S);
	CHECK(sub_retry_after(0, "rejected", 10) == 0);
	CHECK(sub_retry_after(0, "noresource", 0) == 0);
	CHECK(sub_retry_after(0, "invariant", 0) == 0);
	CHECK(sub_retry_after(0, "some-new-reason", 0) == 0);
	CHECK(sub_retry_after(0, "", 0) == SUB_RETRY_DEFAULT_S);
	CHECK(sub_retry_after(0, NULL, 45) == 45);
	CHECK(sub_retry_after(503, "", 0) == SUB_RETRY_DEFAULT_S);
	CHECK(sub_retry_after(503, "", 60) == 60);
	CHECK(sub_retry_after(408, "", 0) == SUB_RETRY_DEFAULT_S);
	CHECK(sub_retry_after(480, "", 0) == SUB_RETRY_DEFAULT_S);
	CHECK(sub_retry_after(404, "", 0) == 0);
	CHECK(sub_retry_after(403, "", 0) == 0);
	CHECK(sub_retry_after(489, "", 0) == 0);
	CHECK(sub_retry_after(407, "", 0) == 0);
	CHECK(sub_retry_after(603, "", 30) == 0);
	CHECK(sub_retry_after(200, "", 0) == 0);     /* our own un-SUBSCRIBE */
}

int main(void)
{
	RUN(test_pidf_states_and_notes);
	RUN(test_when_an_ended_subscription_is_asked_for_again);
	RUN(test_malformed_pidf_is_refused_by_name);
	RUN(test_our_pidf_reads_back);
	RUN(test_dialog_info_makes_a_busy_lamp);
	RUN(test_malformed_dialog_info_changes_nothing);
	RUN(test_message_summaries);
	printf("%d checks, %d failed\n", unit_checks, unit_failures);
	return unit_failures != 0;
}
