/* webrtc_api.c: finding and opening ttyphone-webrtc.so (webrtc_api.h). */
#include "ttyconf.h"
#include "media/webrtc/webrtc_api.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct webrtc_api *loaded;   /* main thread only */

static const struct webrtc_api *try_open(const char *path, char *why, size_t whylen)
{
#ifdef TTY_ASAN
	/* The sanitizer runtime refuses RTLD_DEEPBIND (google/sanitizers#611): the ASan
	 * build links libnice before Sofia-SIP instead (Makefile.am), so the global lookup
	 * already gives libnice its own stun_message_length. */
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
#else
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
#endif
	const struct webrtc_api *api;
	const char *err;

	if (!h) {
		err = dlerror();
		snprintf(why, whylen, "%s", err ? err : path);
		return NULL;
	}
	api = dlsym(h, "ttyphone_webrtc_api");
	if (!api || api->version != WEBRTC_API_VERSION) {
		snprintf(why, whylen, "%s is not this ttyphone's WebRTC module%s", path,
			 api ? " (another version)" : "");
		dlclose(h);
		return NULL;
	}
	return api;            /* kept open for the life of the process */
}

const struct webrtc_api *webrtc_api_load(char *why, size_t whylen)
{
	const char *env = getenv("TTYPHONE_WEBRTC_MODULE");
	char self[PATH_MAX], path[PATH_MAX + 32], first[300] = "";
	ssize_t n;

	if (loaded)
		return loaded;
	if (env && *env) {
		if (!(loaded = try_open(env, why, whylen)))
			return NULL;
		return loaded;
	}
	/* Beside the program: the build tree, or a relocated install. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash;

		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			snprintf(path, sizeof(path), "%s/%s", self, WEBRTC_MODULE_NAME);
			if (access(path, F_OK) == 0 && (loaded = try_open(path, first, sizeof(first))))
				return loaded;
		}
	}
	snprintf(path, sizeof(path), "%s/%s", TTY_PKGLIBDIR, WEBRTC_MODULE_NAME);
	if ((loaded = try_open(path, why, whylen)))
		return loaded;
	if (first[0]) {
		size_t l = strlen(why);

		snprintf(why + l, whylen - l, "; beside the program: %s", first);
	}
	return NULL;
}
