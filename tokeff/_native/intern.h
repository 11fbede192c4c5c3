/*
 * tokeff/_native/intern.h -- a table of interned strings: each distinct string (a piece of text,
 * a word) gets an index, in order of first sight, and a count of how often it was seen.
 *
 * The BPE trainer's piece counter (pieces.c) and the analysis pass's word scan (scan.c) both fill
 * one. Strings are hashed straight from a Python str's code points; only a string not seen before
 * is copied (into an arena of UCS-4 code points), so Python strings are made once per distinct
 * one. Python holds a table as a capsule named SEGS_CAPSULE (segments_new, in intern.c).
 *
 * segs_intern is here, inline, rather than in intern.c: its callers' loops over code points pass
 * a constant string kind, and inlining it there is what saves a switch per character.
 */
#ifndef TOKEFF_NATIVE_INTERN_H
#define TOKEFF_NATIVE_INTERN_H

#include "core.h"

#define SEGS_CAPSULE "tokeff.segments"

/* A slot of the open-addressing table: the high 32 bits of the piece's hash (so a probe reads
   one cache line before it touches the piece itself) and the piece's index, EMPTY_SLOT if none.
   The pieces' offsets and lengths sit side by side for the same reason: a lookup of a known piece
   costs three memory reads (slot, meta, code points), not five, which is what a table of 200k
   words that no cache holds is bound by. */
#define EMPTY_SLOT UINT32_MAX
typedef struct {
    uint32_t tag, idx;
} SegSlot;

typedef struct {
    size_t off;    /* into the arena */
    uint32_t len;  /* code points */
} SegMeta;

typedef struct {
    uint32_t *arena;
    size_t arena_n, arena_cap;
    SegMeta *meta;
    int64_t *cnt;
    uint64_t *hash;
    size_t n, cap;
    SegSlot *table;
    size_t mask;
    /* segments_take (pieces.c): pieces handed out so far, and whether it has begun (the table
       and hashes are gone then, so nothing can be added) */
    size_t taken;
    int taking;
} Segs;

/* an empty table; -1 when out of memory */
int segs_init(Segs *g);
/* frees the table's memory and zeroes it (segs_init makes it usable again) */
void segs_free(Segs *g);
/* append text[start:end] as a new piece at table slot j; its index, or -1 when out of memory */
int64_t segs_insert(Segs *g, int kind, const void *data, Py_ssize_t start, uint32_t len, uint64_t h, size_t j);

/* count one more of text[start:end]; its index among the distinct pieces, *is_new set when it is
   the first of its kind; -1 when out of memory. Inlined where kind is a constant (see
   scan_texts), so that the loops over code points read them without a switch per character. */
static inline __attribute__((always_inline)) int64_t segs_intern(Segs *g, int kind, const void *data,
                                                                 Py_ssize_t start, Py_ssize_t end, int *is_new) {
    *is_new = 0;
    if (!g->table && segs_init(g) < 0) return -1; /* a reset that ran out of memory left no table */
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)(end - start);
    for (Py_ssize_t i = start; i < end; i++) h = (h ^ PyUnicode_READ(kind, data, i)) * 0x100000001B3ULL;
    h ^= h >> 29;
    uint32_t len = (uint32_t)(end - start), tag = (uint32_t)(h >> 32);
    size_t j = h & g->mask;
    for (; g->table[j].idx != EMPTY_SLOT; j = (j + 1) & g->mask) {
        if (g->table[j].tag != tag) continue;
        uint32_t k = g->table[j].idx;
        if (g->meta[k].len != len) continue;
        const uint32_t *cp = g->arena + g->meta[k].off;
        uint32_t i = 0;
        while (i < len && cp[i] == PyUnicode_READ(kind, data, start + i)) i++;
        if (i == len) {
            g->cnt[k]++;
            return k;
        }
    }
    *is_new = 1;
    return segs_insert(g, kind, data, start, len, h, j);
}

#endif
