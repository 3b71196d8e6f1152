/* nua_defer.h: how late Sofia-SIP's deferrable timers may run while the phone is idle (see
 * nua_defer.c). Main thread only, like everything that touches Sofia. */
#ifndef TTY_SIP_NUA_DEFER_H
#define TTY_SIP_NUA_DEFER_H

#include <sofia-sip/su_wait.h>
#include <sofia-sip/sip.h>

#define NUA_DEFER_MAX_MS 30000  /* at most this late; our keep-alive wakes us as often */

/* Before nua_create(): deferrable timers on root run at most NUA_DEFER_MAX_MS late. */
void nua_defer_init(su_root_t *root);
/* A registration was answered 2xx: keep the deferral under an eighth of the time granted
 * (NUA refreshes a quarter of it before the deadline at the latest). */
void nua_defer_registered(su_root_t *root, sip_t const *sip, unsigned requested_s);

#endif
