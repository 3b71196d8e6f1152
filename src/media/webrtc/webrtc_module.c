/* webrtc_module.c: the one symbol ttyphone-webrtc.so exports (webrtc_api.h). */
#include "media/webrtc/webrtc_api.h"

__attribute__((visibility("default")))
const struct webrtc_api ttyphone_webrtc_api = {
	.version = WEBRTC_API_VERSION,
	.alloc = webrtc_link_alloc,
	.free = webrtc_link_free,
	.local = webrtc_link_local,
	.set_remote = webrtc_link_set_remote,
	.add_remote = webrtc_link_add_remote,
	.rx_ring = webrtc_link_rx_ring,
	.tx_ring = webrtc_link_tx_ring,
	.close = webrtc_link_close,
	.get_stats = webrtc_link_get_stats,
};
