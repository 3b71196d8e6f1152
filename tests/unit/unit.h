/* unit.h: the smallest test harness that does the job. Each test is a function named after
 * the behaviour it shows; CHECK prints file:line and the failed expression and counts it. */
#ifndef TTY_UNIT_H
#define TTY_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failures;
static int unit_checks;

#define CHECK(cond) do { unit_checks++; if (!(cond)) { unit_failures++; \
	fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); unit_checks++; \
	if (!a_ || !b_ || strcmp(a_, b_) != 0) { unit_failures++; \
	fprintf(stderr, "%s:%d: CHECK_STR failed: %s == \"%s\", expected \"%s\"\n", \
		__FILE__, __LINE__, #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } } while (0)
#define CHECK_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); unit_checks++; \
	if (a_ != b_) { unit_failures++; fprintf(stderr, "%s:%d: CHECK_INT failed: %s == %lld, " \
	"expected %lld\n", __FILE__, __LINE__, #a, a_, b_); } } while (0)

#define RUN(test) do { int before_ = unit_failures; test(); \
	printf("%s %s\n", unit_failures == before_ ? "ok  " : "FAIL", #test); } while (0)

/* Whether a shared object whose path contains name is mapped into this process. */
static inline int mapped(const char *name)
{
	char line[512];
	int found = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, name) != NULL;
	fclose(f);
	return found;
}

static inline int unit_done(void)
{
	printf("%d checks, %d failed\n", unit_checks, unit_failures);
	return unit_failures ? 1 : 0;
}

#endif
