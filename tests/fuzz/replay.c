/* Runs a fuzz target over every file of a corpus directory, so the suite
 * exercises each decoder with the seed inputs (and past crashers) without
 * needing clang's libFuzzer. Usage: replay DIR... */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    uint8_t *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, 1 << 20, f) : 0;
    fclose(f);
    if (!buf)
        return -1;
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    int files = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        DIR *d = opendir(argv[i]);
        if (!d) {
            fprintf(stderr, "cannot open corpus %s\n", argv[i]);
            return 1;
        }
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
            files++;
            failed += replay_file(path) != 0;
        }
        closedir(d);
    }
    /* Also a few generated inputs: every prefix of every length up to 64. */
    uint8_t pattern[64];
    for (size_t i = 0; i < sizeof pattern; i++)
        pattern[i] = (uint8_t)(i * 37 + 11);
    for (size_t n = 0; n <= sizeof pattern; n++)
        LLVMFuzzerTestOneInput(pattern, n);
    printf("replayed %d corpus files, %d unreadable\n", files, failed);
    return failed || files == 0 ? 1 : 0;
}
