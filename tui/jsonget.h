/* jsonget.h: moved to src/jsonget.h (the history recorder reads the app's events too). This
 * forwarding header keeps the TUI's includes working. */
#include "../src/jsonget.h"
