/*
 * A fuzz target without libFuzzer: runs LLVMFuzzerTestOneInput on every
 * file named (a folder: every file in it), or, with no argument, on a
 * fixed sequence of pseudo-random inputs.  `make test` builds every target
 * this way, with the sanitizers, so that none can stop compiling unseen;
 * `make fuzz` is where they are fuzzed.
 *   replay_NAME [FILE|DIR ...]
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLAY_FILE_MAX		(64u << 20)
#define REPLAY_RANDOM_RUNS	2000
#define REPLAY_RANDOM_LEN	1024

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t runs;

static int
run_file(const char *path)
{
	FILE *f;
	uint8_t *buf;
	long n;

	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (n = ftell(f)) < 0 || (unsigned long)n > REPLAY_FILE_MAX ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "replay: %s: cannot read\n", path);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	/* An exact-size heap copy, so that an over-read is caught. */
	if ((buf = malloc(n > 0 ? (size_t)n : 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "replay: %s: cannot read\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	runs++;
	return 0;
}

static int
run_path(const char *path)
{
	char sub[4096];
	struct dirent *e;
	struct stat st;
	DIR *d;
	int r = 0;

	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return run_file(path);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path,
		    e->d_name) < sizeof(sub) && run_path(sub) != 0)
			r = -1;
	}
	closedir(d);
	return r;
}

/* Inputs of every length up to REPLAY_RANDOM_LEN, some printable (the text
 * parsers reject most binary at the first byte). */
static void
run_random(void)
{
	uint64_t x = 0x9e3779b97f4a7c15u;
	uint8_t *buf;
	size_t len;

	for (size_t i = 0; i < REPLAY_RANDOM_RUNS; i++) {
		len = i % REPLAY_RANDOM_LEN;
		if ((buf = malloc(len > 0 ? len : 1)) == NULL)
			abort();
		for (size_t j = 0; j < len; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[j] = i % 2 ? (uint8_t)(0x20 + x % 0x5f) :
			    (uint8_t)x;
		}
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		runs++;
	}
}

int
main(int argc, char **argv)
{
	int r = 0;

	if (argc < 2)
		run_random();
	for (int i = 1; i < argc; i++)
		if (run_path(argv[i]) != 0)
			r = 1;
	printf("replay %s: %zu inputs\n", argv[0], runs);
	return r;
}
