/* fuzz_util.h — small helpers the text fuzz targets share: turning the
 * fuzzer's bytes into C strings, and checking an invariant loudly. */
#ifndef OKR_FUZZ_UTIL_H
#define OKR_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts, naming the invariant that does not hold, unless cond is true. The
 * abort is what libFuzzer (and CTest's replay) report as a finding. */
#define FUZZ_REQUIRE(cond) ((cond) ? (void)0 : fuzz_fail(#cond, __FILE__, __LINE__))
_Noreturn void fuzz_fail(const char *what, const char *file, int line);

/* A NUL-terminated copy of data[0..size) in a buffer of exactly size + 1
 * bytes (so ASan sees any read past the string); a NUL byte in data ends the
 * string early. Never NULL: aborts when out of memory. Free with free(). */
char *fuzz_string(const uint8_t *data, size_t size);

/* Cuts data at each sep byte into at most max pieces, each a fuzz_string;
 * the last piece takes the rest. Returns how many pieces (at least 1). Free
 * each with free(). */
size_t fuzz_split(const uint8_t *data, size_t size, uint8_t sep, char **pieces, size_t max);

/* 1 if data[0..size) holds the n bytes of needle, else 0; *at is then the
 * offset of their first occurrence. */
int fuzz_find(const uint8_t *data, size_t size, const void *needle, size_t n, size_t *at);

#endif
