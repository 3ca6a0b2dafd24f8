// A fixed vocabulary of 2,000 made-up words (three syllables each), shared by loadgen and sqlite_ceiling
// so that the issues created through katad and by the SQLite ceiling have the same kind of titles: four
// words drawn at random, so a word is in about 0.2 % of the titles and full-text queries match a few
// hundred issues at 100,000, not all of them.
#pragma once
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define VOCAB_SIZE 2000
static const char *const vocab_syl[20] = {"ka", "to", "mi", "re", "su", "no", "ha", "li", "be", "gu",
                                          "do", "fe", "ra", "zo", "pi", "we", "ny", "qu", "vo", "sha"};

static inline void vocab_word(uint64_t i, char *out) {
    i %= VOCAB_SIZE;
    sprintf(out, "%s%s%s", vocab_syl[i % 20], vocab_syl[(i / 20) % 20], vocab_syl[(i / 400) % 20]);
}

static inline uint64_t vocab_rand(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

// Four random words separated by spaces.
static inline void vocab_words(uint64_t *rng, char *out) {
    char w[16];
    out[0] = 0;
    for (int k = 0; k < 4; k++) {
        vocab_word(vocab_rand(rng) % VOCAB_SIZE, w);
        if (k) strcat(out, " ");
        strcat(out, w);
    }
}
