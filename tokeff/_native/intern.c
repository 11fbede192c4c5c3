/*
 * tokeff/_native/intern.c -- the table of interned strings (intern.h): its memory, its growth,
 * and its Python face.
 *
 *   segments_new() -> capsule      an empty table (a counter of pieces for pieces.c, or the word
 *                                  table of an analysis for scan.c)
 */
#include "intern.h"

void segs_free(Segs *g) {
    free(g->arena);
    free(g->meta);
    free(g->cnt);
    free(g->hash);
    free(g->table);
    memset(g, 0, sizeof(*g));
}

static void segs_capsule_free(PyObject *cap) {
    Segs *g = PyCapsule_GetPointer(cap, SEGS_CAPSULE);
    if (g) {
        segs_free(g);
        free(g);
    }
}

int segs_init(Segs *g) {
    memset(g, 0, sizeof(*g));
    g->mask = (1 << 16) - 1;
    g->table = malloc((g->mask + 1) * sizeof(SegSlot));
    if (!g->table) return -1;
    memset(g->table, 0xff, (g->mask + 1) * sizeof(SegSlot));
    return 0;
}

static int segs_grow_table(Segs *g) {
    size_t cap = (g->mask + 1) * 2, mask = cap - 1;
    SegSlot *t = malloc(cap * sizeof(SegSlot));
    if (!t) return -1;
    memset(t, 0xff, cap * sizeof(SegSlot));
    for (size_t i = 0; i < g->n; i++) {
        size_t j = g->hash[i] & mask;
        while (t[j].idx != EMPTY_SLOT) j = (j + 1) & mask;
        t[j].tag = (uint32_t)(g->hash[i] >> 32);
        t[j].idx = (uint32_t)i;
    }
    free(g->table);
    g->table = t;
    g->mask = mask;
    return 0;
}

int64_t segs_insert(Segs *g, int kind, const void *data, Py_ssize_t start, uint32_t len, uint64_t h, size_t j) {
    if (g->n >= EMPTY_SLOT - 1) return -1;
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 4096;
        SegMeta *meta = realloc(g->meta, cap * sizeof(SegMeta));
        if (meta) g->meta = meta;
        int64_t *cnt = realloc(g->cnt, cap * sizeof(int64_t));
        if (cnt) g->cnt = cnt;
        uint64_t *hs = realloc(g->hash, cap * sizeof(uint64_t));
        if (hs) g->hash = hs;
        if (!meta || !cnt || !hs) return -1;
        g->cap = cap;
    }
    if (g->arena_n + len > g->arena_cap) {
        size_t cap = g->arena_cap ? g->arena_cap * 2 : (1 << 16);
        while (cap < g->arena_n + len) cap *= 2;
        uint32_t *a = realloc(g->arena, cap * sizeof(uint32_t));
        if (!a) return -1;
        g->arena = a;
        g->arena_cap = cap;
    }
    uint32_t *dst = g->arena + g->arena_n;
    for (uint32_t i = 0; i < len; i++) dst[i] = PyUnicode_READ(kind, data, start + i);
    size_t k = g->n++;
    g->meta[k].off = g->arena_n;
    g->meta[k].len = len;
    g->cnt[k] = 1;
    g->hash[k] = h;
    g->arena_n += len;
    g->table[j].tag = (uint32_t)(h >> 32);
    g->table[j].idx = (uint32_t)k;
    if (g->n * 2 > g->mask + 1 && segs_grow_table(g) < 0) return -1;
    return (int64_t)k;
}

PyObject *segments_new(PyObject *self, PyObject *noargs) {
    Segs *g = malloc(sizeof(Segs));
    if (!g || segs_init(g) < 0) {
        free(g);
        return PyErr_NoMemory();
    }
    PyObject *cap = PyCapsule_New(g, SEGS_CAPSULE, segs_capsule_free);
    if (!cap) {
        segs_free(g);
        free(g);
    }
    return cap;
}
