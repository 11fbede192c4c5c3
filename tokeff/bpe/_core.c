/*
 * tokeff/bpe/_core.c -- the BPE merge loop of tokeff/bpe/merge_loop.py, in C.
 *
 * Same algorithm, same results (the tests compare both): words are arrays of token ids with a
 * count; an open-addressing hash map gives each adjacent pair (a, b) a slot holding its count and
 * the list of words it occurs in; a binary max-heap orders (count, key(a), key(b)) with stale
 * entries refreshed lazily when they reach the top. A merge rewrites only the words listed for its
 * pair and adjusts the counts of the neighbouring pairs. See merge_loop.py for the algorithm and
 * the tie-breaking rule; this file only adds the bookkeeping C needs.
 *
 * Python API:  learn_merges(chunks: dict[str, int], n_merges: int, min_frequency: int,
 *                           tie_keys: list[int] (256 items), on_merge: callable | None)
 *              -> list[tuple[int, int]]
 *              segments_new(), segments_add(counter, texts), segments_result(counter)  (below)
 *              scan_texts, intern_words, flatten_ids, spells_texts, doc_keys, doc_hashes: the analysis pass's
 *              per-chunk work (at the end)
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EMPTY_KEY UINT64_MAX

typedef struct {
    int32_t *data;
    int32_t n, cap;
} IntVec;

typedef struct {
    int64_t count;
    uint32_t a, b;
    IntVec where;   /* words holding the pair (may hold words that lost it: they are skipped) */
    int32_t stamp;  /* last merge that created new occurrences of this pair */
} Pair;

typedef struct {
    int64_t count;
    uint32_t ka, kb; /* tie-break keys */
    int32_t pair;
} Entry;

typedef struct {
    /* pairs: hash map key -> index into pairs[] */
    uint64_t *keys;
    int32_t *slots;
    size_t mask;
    size_t used;
    Pair *pairs;
    size_t n_pairs, cap_pairs;
    /* heap */
    Entry *heap;
    size_t n_heap, cap_heap;
    /* words */
    int32_t *syms;
    int64_t *start;
    int32_t *len;
    int64_t *wcount;
    size_t n_words;
    /* pairs created by the current merge */
    IntVec created;
    uint32_t tie[256];
} State;

static int vec_push(IntVec *v, int32_t x) {
    if (v->n == v->cap) {
        int32_t cap = v->cap ? v->cap * 2 : 4;
        int32_t *d = realloc(v->data, (size_t)cap * sizeof(int32_t));
        if (!d) return -1;
        v->data = d;
        v->cap = cap;
    }
    v->data[v->n++] = x;
    return 0;
}

static inline uint64_t hash64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static int map_grow(State *s) {
    size_t new_cap = (s->mask + 1) * 2;
    uint64_t *keys = malloc(new_cap * sizeof(uint64_t));
    int32_t *slots = malloc(new_cap * sizeof(int32_t));
    if (!keys || !slots) { free(keys); free(slots); return -1; }
    memset(keys, 0xff, new_cap * sizeof(uint64_t));
    size_t mask = new_cap - 1;
    for (size_t i = 0; i <= s->mask; i++) {
        if (s->keys[i] == EMPTY_KEY) continue;
        size_t j = hash64(s->keys[i]) & mask;
        while (keys[j] != EMPTY_KEY) j = (j + 1) & mask;
        keys[j] = s->keys[i];
        slots[j] = s->slots[i];
    }
    free(s->keys);
    free(s->slots);
    s->keys = keys;
    s->slots = slots;
    s->mask = mask;
    return 0;
}

/* index of pair (a, b), created with count 0 if new; -1 on memory error */
static int32_t pair_index(State *s, uint32_t a, uint32_t b) {
    uint64_t key = ((uint64_t)a << 32) | b;
    size_t j = hash64(key) & s->mask;
    while (s->keys[j] != EMPTY_KEY) {
        if (s->keys[j] == key) return s->slots[j];
        j = (j + 1) & s->mask;
    }
    if (s->n_pairs == s->cap_pairs) {
        size_t cap = s->cap_pairs * 2;
        Pair *p = realloc(s->pairs, cap * sizeof(Pair));
        if (!p) return -1;
        s->pairs = p;
        s->cap_pairs = cap;
    }
    int32_t idx = (int32_t)s->n_pairs++;
    Pair *p = &s->pairs[idx];
    p->count = 0;
    p->a = a;
    p->b = b;
    p->where.data = NULL;
    p->where.n = p->where.cap = 0;
    p->stamp = -1;
    s->keys[j] = key;
    s->slots[j] = idx;
    if (++s->used * 2 > s->mask + 1 && map_grow(s) < 0) return -1;
    return idx;
}

static inline int32_t pair_find(State *s, uint32_t a, uint32_t b) {
    uint64_t key = ((uint64_t)a << 32) | b;
    size_t j = hash64(key) & s->mask;
    while (s->keys[j] != EMPTY_KEY) {
        if (s->keys[j] == key) return s->slots[j];
        j = (j + 1) & s->mask;
    }
    return -1;
}

static inline uint32_t tie_key(State *s, uint32_t t) { return t < 256 ? s->tie[t] : t; }

/* heap order: larger count first, then smaller (ka, kb) */
static inline int entry_before(const Entry *x, const Entry *y) {
    if (x->count != y->count) return x->count > y->count;
    if (x->ka != y->ka) return x->ka < y->ka;
    return x->kb < y->kb;
}

static int heap_push(State *s, int64_t count, int32_t pair) {
    if (s->n_heap == s->cap_heap) {
        size_t cap = s->cap_heap ? s->cap_heap * 2 : 1024;
        Entry *h = realloc(s->heap, cap * sizeof(Entry));
        if (!h) return -1;
        s->heap = h;
        s->cap_heap = cap;
    }
    Pair *p = &s->pairs[pair];
    Entry e = {count, tie_key(s, p->a), tie_key(s, p->b), pair};
    size_t i = s->n_heap++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!entry_before(&e, &s->heap[parent])) break;
        s->heap[i] = s->heap[parent];
        i = parent;
    }
    s->heap[i] = e;
    return 0;
}

static Entry heap_pop(State *s) {
    Entry top = s->heap[0];
    Entry last = s->heap[--s->n_heap];
    size_t i = 0, n = s->n_heap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && entry_before(&s->heap[c + 1], &s->heap[c])) c++;
        if (!entry_before(&s->heap[c], &last)) break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (n) s->heap[i] = last;
    return top;
}

/* count[(a,b)] += delta; a positive delta records word w and marks the pair as created now */
static int add_pair(State *s, uint32_t a, uint32_t b, int64_t delta, int32_t w, int32_t merge_no) {
    int32_t idx = pair_index(s, a, b);
    if (idx < 0) return -1;
    Pair *p = &s->pairs[idx];
    p->count += delta;
    if (delta > 0) {
        if ((p->where.n == 0 || p->where.data[p->where.n - 1] != w) && vec_push(&p->where, w) < 0)
            return -1;
        if (p->stamp != merge_no) {
            p->stamp = merge_no;
            if (vec_push(&s->created, idx) < 0) return -1;
        }
    }
    return 0;
}

static void dec_pair(State *s, uint32_t a, uint32_t b, int64_t delta) {
    int32_t idx = pair_find(s, a, b);
    if (idx >= 0) s->pairs[idx].count -= delta;
}

static void state_free(State *s) {
    if (s->pairs)
        for (size_t i = 0; i < s->n_pairs; i++) free(s->pairs[i].where.data);
    free(s->pairs);
    free(s->keys);
    free(s->slots);
    free(s->heap);
    free(s->syms);
    free(s->start);
    free(s->len);
    free(s->wcount);
    free(s->created.data);
}

static PyObject *learn_merges(PyObject *self, PyObject *args) {
    PyObject *chunks, *tie_keys, *on_merge;
    Py_ssize_t n_merges;
    long long min_frequency;
    if (!PyArg_ParseTuple(args, "O!nLOO", &PyDict_Type, &chunks, &n_merges, &min_frequency, &tie_keys,
                          &on_merge))
        return NULL;
    State st;
    memset(&st, 0, sizeof(st));
    State *s = &st;
    PyObject *result = NULL;

    /* tie keys */
    PyObject *tk = PySequence_Fast(tie_keys, "tie_keys must be a sequence");
    if (!tk) return NULL;
    if (PySequence_Fast_GET_SIZE(tk) != 256) {
        Py_DECREF(tk);
        PyErr_SetString(PyExc_ValueError, "tie_keys must have 256 items");
        return NULL;
    }
    for (int i = 0; i < 256; i++) s->tie[i] = (uint32_t)PyLong_AsUnsignedLong(PySequence_Fast_GET_ITEM(tk, i));
    Py_DECREF(tk);
    if (PyErr_Occurred()) return NULL;

    /* words: the UTF-8 bytes of each chunk, widened to int32 token ids */
    Py_ssize_t n_words = PyDict_Size(chunks), pos = 0, total = 0;
    PyObject *key, *value;
    while (PyDict_Next(chunks, &pos, &key, &value)) {
        Py_ssize_t size;
        if (!PyUnicode_Check(key)) {
            PyErr_SetString(PyExc_TypeError, "chunk keys must be str");
            return NULL;
        }
        if (!PyUnicode_AsUTF8AndSize(key, &size)) return NULL;
        total += size;
    }
    s->n_words = (size_t)n_words;
    s->syms = malloc((size_t)(total ? total : 1) * sizeof(int32_t));
    s->start = malloc((size_t)(n_words ? n_words : 1) * sizeof(int64_t));
    s->len = malloc((size_t)(n_words ? n_words : 1) * sizeof(int32_t));
    s->wcount = malloc((size_t)(n_words ? n_words : 1) * sizeof(int64_t));
    s->mask = (1 << 16) - 1;
    s->keys = malloc((s->mask + 1) * sizeof(uint64_t));
    s->slots = malloc((s->mask + 1) * sizeof(int32_t));
    s->cap_pairs = 1 << 15;
    s->pairs = malloc(s->cap_pairs * sizeof(Pair));
    if (!s->syms || !s->start || !s->len || !s->wcount || !s->keys || !s->slots || !s->pairs) goto nomem;
    memset(s->keys, 0xff, (s->mask + 1) * sizeof(uint64_t));

    pos = 0;
    Py_ssize_t w = 0, off = 0;
    while (PyDict_Next(chunks, &pos, &key, &value)) {
        Py_ssize_t size;
        const unsigned char *u = (const unsigned char *)PyUnicode_AsUTF8AndSize(key, &size);
        long long c = PyLong_AsLongLong(value);
        if (c == -1 && PyErr_Occurred()) goto fail;
        if (size > INT32_MAX) {
            PyErr_SetString(PyExc_OverflowError, "chunk longer than 2**31 bytes");
            goto fail;
        }
        s->start[w] = off;
        s->len[w] = (int32_t)size;
        s->wcount[w] = c;
        for (Py_ssize_t i = 0; i < size; i++) s->syms[off + i] = u[i];
        for (Py_ssize_t i = 0; i + 1 < size; i++)
            if (add_pair(s, u[i], u[i + 1], c, (int32_t)w, -1) < 0) goto nomem;
        off += size;
        w++;
    }
    s->created.n = 0; /* the initial pairs are all pushed below */
    for (size_t i = 0; i < s->n_pairs; i++)
        if (s->pairs[i].count > 0 && heap_push(s, s->pairs[i].count, (int32_t)i) < 0) goto nomem;

    result = PyList_New(0);
    if (!result) goto fail;
    int64_t threshold = min_frequency > 1 ? min_frequency : 1;
    int32_t merge_no = 0;
    while (merge_no < n_merges && s->n_heap > 0) {
        Entry top = heap_pop(s);
        Pair *p = &s->pairs[top.pair];
        if (top.count != p->count) { /* stale: refresh */
            if (p->count > 0 && heap_push(s, p->count, top.pair) < 0) goto nomem;
            continue;
        }
        if (top.count < threshold) break;
        uint32_t A = p->a, B = p->b, N = 256 + (uint32_t)merge_no;
        PyObject *t = Py_BuildValue("(II)", A, B);
        if (!t || PyList_Append(result, t) < 0) { Py_XDECREF(t); goto fail; }
        Py_DECREF(t);

        /* the pair's word list is not touched while we rewrite (new pairs all contain N) */
        IntVec where = p->where;
        p->where.data = NULL;
        p->where.n = p->where.cap = 0;
        s->created.n = 0;
        for (int32_t k = 0; k < where.n; k++) {
            int32_t wi = where.data[k];
            int32_t *sym = s->syms + s->start[wi];
            int32_t n = s->len[wi], r = 0, wr = 0;
            int64_t c = s->wcount[wi];
            while (r < n) {
                if (r + 1 < n && (uint32_t)sym[r] == A && (uint32_t)sym[r + 1] == B) {
                    if (wr > 0) {
                        uint32_t prev = (uint32_t)sym[wr - 1];
                        dec_pair(s, prev, A, c);
                        if (add_pair(s, prev, N, c, wi, merge_no) < 0) goto nomem_where;
                    }
                    if (r + 2 < n) {
                        uint32_t nx = (uint32_t)sym[r + 2];
                        dec_pair(s, B, nx, c);
                        if (add_pair(s, N, nx, c, wi, merge_no) < 0) goto nomem_where;
                    }
                    sym[wr++] = (int32_t)N;
                    r += 2;
                } else {
                    sym[wr++] = sym[r++];
                }
            }
            s->len[wi] = wr;
        }
        free(where.data);
        s->pairs[top.pair].count = 0; /* merged: gone for good (p may have moved: re-index) */
        for (int32_t k = 0; k < s->created.n; k++) {
            int32_t idx = s->created.data[k];
            if (s->pairs[idx].count > 0 && heap_push(s, s->pairs[idx].count, idx) < 0) goto nomem;
        }
        merge_no++;
        if (on_merge != Py_None) {
            PyObject *r = PyObject_CallFunction(on_merge, "i", merge_no);
            if (!r) goto fail;
            Py_DECREF(r);
        } else if ((merge_no & 255) == 0 && PyErr_CheckSignals() < 0) {
            goto fail;
        }
        continue;
    nomem_where:
        free(where.data);
        goto nomem;
    }
    state_free(s);
    return result;

nomem:
    PyErr_NoMemory();
fail:
    Py_XDECREF(result);
    state_free(s);
    return NULL;
}

/*
 * Space-cut pieces: a counter for the text between cuts placed before every space that follows a
 * non-space character. For the preset patterns (gpt2, cl100k, o200k) no chunk ever crosses such a
 * cut, so pre-splitting the *distinct* pieces gives the same chunk counts as pre-splitting the text
 * (see count.py). "Non-space" is !Py_UNICODE_ISSPACE, stricter than the regex \S (str.isspace() is
 * true for every \s character, and for 4 more), so a cut is never placed where it is not safe.
 *
 * Pieces are hashed straight from the text's code points; only a piece not seen before is copied
 * (into an arena of UCS-4 code points), and Python strings are made once per distinct piece.
 *
 *   segments_new() -> capsule
 *   segments_add(capsule, texts: list[str]) -> None
 *   segments_result(capsule) -> dict[str, int]     (and empties the counter)
 */
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
} Segs;

static void segs_free(Segs *g) {
    free(g->arena);
    free(g->meta);
    free(g->cnt);
    free(g->hash);
    free(g->table);
    memset(g, 0, sizeof(*g));
}

static void segs_capsule_free(PyObject *cap) {
    Segs *g = PyCapsule_GetPointer(cap, "tokeff.segments");
    if (g) {
        segs_free(g);
        free(g);
    }
}

static int segs_init(Segs *g) {
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

/* append text[start:end] as a new piece at table slot j; its index, or -1 when out of memory */
static int64_t segs_insert(Segs *g, int kind, const void *data, Py_ssize_t start, uint32_t len, uint64_t h, size_t j) {
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

static int segs_bump(Segs *g, int kind, const void *data, Py_ssize_t start, Py_ssize_t end) {
    int is_new;
    return segs_intern(g, kind, data, start, end, &is_new) < 0 ? -1 : 0;
}

static PyObject *segments_new(PyObject *self, PyObject *noargs) {
    Segs *g = malloc(sizeof(Segs));
    if (!g || segs_init(g) < 0) {
        free(g);
        return PyErr_NoMemory();
    }
    PyObject *cap = PyCapsule_New(g, "tokeff.segments", segs_capsule_free);
    if (!cap) {
        segs_free(g);
        free(g);
    }
    return cap;
}

static PyObject *segments_add(PyObject *self, PyObject *args) {
    PyObject *cap, *texts;
    if (!PyArg_ParseTuple(args, "OO", &cap, &texts)) return NULL;
    Segs *g = PyCapsule_GetPointer(cap, "tokeff.segments");
    if (!g) return NULL;
    PyObject *seq = PySequence_Fast(texts, "texts must be a sequence of str");
    if (!seq) return NULL;
    Py_ssize_t m = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t t = 0; t < m; t++) {
        PyObject *text = PySequence_Fast_GET_ITEM(seq, t);
        if (!PyUnicode_Check(text)) {
            Py_DECREF(seq);
            PyErr_SetString(PyExc_TypeError, "texts must be str");
            return NULL;
        }
        Py_ssize_t n = PyUnicode_GET_LENGTH(text), start = 0;
        if (n > UINT32_MAX) {
            Py_DECREF(seq);
            PyErr_SetString(PyExc_OverflowError, "text longer than 2**32 characters");
            return NULL;
        }
        int kind = PyUnicode_KIND(text);
        const void *data = PyUnicode_DATA(text);
        for (Py_ssize_t i = 1; i <= n; i++) {
            if (i < n && !(PyUnicode_READ(kind, data, i) == ' ' &&
                           !Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i - 1))))
                continue;
            if (segs_bump(g, kind, data, start, i) < 0) {
                Py_DECREF(seq);
                return PyErr_NoMemory();
            }
            start = i;
        }
    }
    Py_DECREF(seq);
    Py_RETURN_NONE;
}

static PyObject *segments_result(PyObject *self, PyObject *cap) {
    Segs *g = PyCapsule_GetPointer(cap, "tokeff.segments");
    if (!g) return NULL;
    PyObject *d = PyDict_New();
    if (!d) return NULL;
    for (size_t k = 0; k < g->n; k++) {
        PyObject *key = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, g->arena + g->meta[k].off, g->meta[k].len);
        PyObject *val = key ? PyLong_FromLongLong(g->cnt[k]) : NULL;
        if (!val || PyDict_SetItem(d, key, val) < 0) {
            Py_XDECREF(key);
            Py_XDECREF(val);
            Py_DECREF(d);
            return NULL;
        }
        Py_DECREF(key);
        Py_DECREF(val);
    }
    segs_free(g);
    if (segs_init(g) < 0) {
        Py_DECREF(d);
        return PyErr_NoMemory();
    }
    return d;
}

/*
 * The analysis pass's text scan (tokeff/metrics/batch.py): per-document counts and word ids, the
 * tokenizer-independent work of every chunk, in one pass over each text instead of a dozen Python
 * calls per document. Words are interned in a Segs table (the same one as above), so a word
 * occurrence costs a hash and a compare, and a Python string is made once per distinct word.
 *
 *   scan_texts(table, texts, classes, want_words, words_out) -> (stats, ids)
 *
 * classes: one byte of flags per code point (tokeff.text.char_classes): WORD characters (letters,
 * marks, digits), NO_SPACE characters (scripts written without spaces), EXTEND characters (they
 * join the grapheme cluster before them), INTRICATE ones (grapheme rules that need more context),
 * and the Indic_Conjunct_Break classes of rule GB9c. want_words: bytes, one per text (0: count no
 * words). For each text, stats holds five int64: UTF-8 bytes, code points, characters that are not
 * whitespace (!Py_UNICODE_ISSPACE, as str.split() sees it), the number of words, and how many of
 * them are grapheme clusters of a no-space script (the character fallback). A word is a maximal run
 * of WORD characters that are not NO_SPACE, or one grapheme cluster that starts with a NO_SPACE
 * character: the character, then EXTEND characters, and across a LINKER the next CONSONANT. The
 * word count is -1 when the text is not wanted, or holds both a NO_SPACE and an INTRICATE
 * character: its words are then for Python to find. ids: int64 word ids of all counted words,
 * texts back to back. New words are appended to words_out in id order.
 *
 *   intern_words(table, words, words_out) -> ids     (each item of words is one whole word)
 *   flatten_ids(seqs[, flags]) -> (flat, lengths, counts)
 *                                                     (int64 bytes: the items back to back, each length, and per
 *                                                     sequence how many items have flag bit 0 (UNK) and bit 1
 *                                                     (byte fallback) in flags, one byte per id)
 *   spells_texts(flat, lengths, texts, blob, offsets, sure, strip) -> bytes  (below)
 *   doc_keys(ids), doc_hashes(ids) -> bytes           (below)
 */
enum { WORD = 1, NO_SPACE = 2, EXTEND = 4, INTRICATE = 8, INCB_CONSONANT = 16, INCB_LINKER = 32, INCB_EXTEND = 64 };

/* end of the grapheme cluster that starts at i (a NO_SPACE character; no INTRICATE one in the text):
   GB9/GB9a (EXTEND characters join) and GB9c as the regex module applies it (a consonant joins when
   a Linker came before it with only InCB Extend or Linker characters since, even before i) */
static inline __attribute__((always_inline)) Py_ssize_t cluster_end(const unsigned char *cls, int kind, const void *data,
                                                                    Py_ssize_t i, Py_ssize_t n) {
    /* the regex module looks behind the cluster's start too: a Linker before it (with only InCB
       Extend characters since) already links */
    int linked = 0;
    for (Py_ssize_t k = i; k >= 0; k--) {
        unsigned char f = cls[PyUnicode_READ(kind, data, k)];
        if (f & INCB_LINKER) {
            linked = 1;
            break;
        }
        if (!(f & INCB_EXTEND)) break;
    }
    Py_ssize_t j = i + 1;
    for (; j < n; j++) {
        unsigned char f = cls[PyUnicode_READ(kind, data, j)];
        if (linked && (f & INCB_CONSONANT)) {
            linked = 0;
            continue;
        }
        if (!(f & EXTEND)) break;
        if (f & INCB_LINKER) linked = 1;
        else if (!(f & INCB_EXTEND)) linked = 0;
    }
    return j;
}

typedef struct {
    int64_t *data;
    size_t n, cap;
} I64Vec;

static int i64_push(I64Vec *v, int64_t x) {
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 65536;
        int64_t *d = realloc(v->data, cap * sizeof(int64_t));
        if (!d) return -1;
        v->data = d;
        v->cap = cap;
    }
    v->data[v->n++] = x;
    return 0;
}

/* intern text[start:end], appending it to words_out when new; -1 with an exception set on failure */
static inline __attribute__((always_inline)) int intern_push(Segs *g, int kind, const void *data, Py_ssize_t start,
                                                             Py_ssize_t end, I64Vec *ids, PyObject *words_out) {
    int is_new;
    int64_t k = segs_intern(g, kind, data, start, end, &is_new);
    if (k < 0 || i64_push(ids, k) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    if (is_new) {
        PyObject *w = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, g->arena + g->meta[k].off, g->meta[k].len);
        if (!w || PyList_Append(words_out, w) < 0) {
            Py_XDECREF(w);
            return -1;
        }
        Py_DECREF(w);
    }
    return 0;
}

static PyObject *ids_result(I64Vec *ids) {
    PyObject *out = PyBytes_FromStringAndSize(ids->n ? (const char *)ids->data : NULL, (Py_ssize_t)(ids->n * sizeof(int64_t)));
    free(ids->data);
    return out;
}

/* one text of scan_texts: its five stats in st, its words' ids appended to ids; -1 with an
   exception set on failure */
static inline __attribute__((always_inline)) int scan_one(Segs *g, const unsigned char *cls, int kind, const void *data,
                                                          Py_ssize_t n, int wanted, int64_t *st, I64Vec *ids,
                                                          PyObject *words_out) {
    int64_t nbytes = 0, nonspace = 0, nwords = 0, nfallback = 0;
    unsigned char seen = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        nbytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
        nonspace += !Py_UNICODE_ISSPACE(c);
        seen |= cls[c];
    }
    int stop = (seen & NO_SPACE) != 0;
    if (!wanted || (stop && (seen & INTRICATE))) {
        nwords = -1;
    } else {
        Py_ssize_t start = -1, i = 0;
        while (i <= n) {
            Py_UCS4 c = i < n ? PyUnicode_READ(kind, data, i) : 0;
            int cluster = i < n && stop && (cls[c] & NO_SPACE);
            if (i < n && !cluster && (cls[c] & WORD)) {
                if (start < 0) start = i;
                i++;
                continue;
            }
            if (start >= 0) { /* a run ends */
                if (intern_push(g, kind, data, start, i, ids, words_out) < 0) return -1;
                nwords++;
                start = -1;
            }
            if (cluster) { /* one grapheme cluster of a no-space script */
                Py_ssize_t j = cluster_end(cls, kind, data, i, n);
                if (intern_push(g, kind, data, i, j, ids, words_out) < 0) return -1;
                nwords++;
                nfallback++;
                i = j;
                continue;
            }
            i++;
        }
    }
    st[0] = nbytes;
    st[1] = n;
    st[2] = nonspace;
    st[3] = nwords;
    st[4] = nfallback;
    return 0;
}

static PyObject *scan_texts(PyObject *self, PyObject *args) {
    PyObject *cap, *texts, *words_out;
    Py_buffer cb, want;
    if (!PyArg_ParseTuple(args, "OOy*y*O!", &cap, &texts, &cb, &want, &PyList_Type, &words_out)) return NULL;
    PyObject *seq = NULL, *stats = NULL;
    I64Vec ids = {NULL, 0, 0};
    Segs *g = PyCapsule_GetPointer(cap, "tokeff.segments");
    if (!g) goto fail;
    if (cb.len < 0x110000) {
        PyErr_SetString(PyExc_ValueError, "classes needs one byte per code point (0x110000)");
        goto fail;
    }
    const unsigned char *cls = cb.buf, *wanted = want.buf;
    seq = PySequence_Fast(texts, "texts must be a sequence of str");
    if (!seq) goto fail;
    Py_ssize_t m = PySequence_Fast_GET_SIZE(seq);
    if (want.len < m) {
        PyErr_SetString(PyExc_ValueError, "want_words needs one byte per text");
        goto fail;
    }
    stats = PyBytes_FromStringAndSize(NULL, m * 5 * (Py_ssize_t)sizeof(int64_t));
    if (!stats) goto fail;
    int64_t *st = (int64_t *)PyBytes_AS_STRING(stats);
    for (Py_ssize_t t = 0; t < m; t++) {
        PyObject *text = PySequence_Fast_GET_ITEM(seq, t);
        if (!PyUnicode_Check(text)) {
            PyErr_SetString(PyExc_TypeError, "texts must be str");
            goto fail;
        }
        Py_ssize_t n = PyUnicode_GET_LENGTH(text);
        const void *data = PyUnicode_DATA(text);
        int r;
        /* one copy of the loops per string kind, so that reading a code point is one load */
        switch (PyUnicode_KIND(text)) {
        case PyUnicode_1BYTE_KIND: r = scan_one(g, cls, PyUnicode_1BYTE_KIND, data, n, wanted[t], st + 5 * t, &ids, words_out); break;
        case PyUnicode_2BYTE_KIND: r = scan_one(g, cls, PyUnicode_2BYTE_KIND, data, n, wanted[t], st + 5 * t, &ids, words_out); break;
        default: r = scan_one(g, cls, PyUnicode_4BYTE_KIND, data, n, wanted[t], st + 5 * t, &ids, words_out);
        }
        if (r < 0) goto fail;
    }
    Py_DECREF(seq);
    PyBuffer_Release(&cb);
    PyBuffer_Release(&want);
    PyObject *id_bytes = ids_result(&ids);
    if (!id_bytes) {
        Py_DECREF(stats);
        return NULL;
    }
    return Py_BuildValue("(NN)", stats, id_bytes);
fail:
    Py_XDECREF(seq);
    Py_XDECREF(stats);
    free(ids.data);
    PyBuffer_Release(&cb);
    PyBuffer_Release(&want);
    return NULL;
}

static PyObject *intern_words(PyObject *self, PyObject *args) {
    PyObject *cap, *words, *words_out;
    if (!PyArg_ParseTuple(args, "OOO!", &cap, &words, &PyList_Type, &words_out)) return NULL;
    Segs *g = PyCapsule_GetPointer(cap, "tokeff.segments");
    if (!g) return NULL;
    PyObject *seq = PySequence_Fast(words, "words must be a sequence of str");
    if (!seq) return NULL;
    I64Vec ids = {NULL, 0, 0};
    Py_ssize_t m = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t t = 0; t < m; t++) {
        PyObject *w = PySequence_Fast_GET_ITEM(seq, t);
        if (!PyUnicode_Check(w)) {
            PyErr_SetString(PyExc_TypeError, "words must be str");
            goto fail;
        }
        if (intern_push(g, PyUnicode_KIND(w), PyUnicode_DATA(w), 0, PyUnicode_GET_LENGTH(w), &ids, words_out) < 0)
            goto fail;
    }
    Py_DECREF(seq);
    return ids_result(&ids);
fail:
    Py_DECREF(seq);
    free(ids.data);
    return NULL;
}

static PyObject *flatten_ids(PyObject *self, PyObject *args) {
    PyObject *seqs;
    Py_buffer fb = {0};
    if (!PyArg_ParseTuple(args, "O|y*", &seqs, &fb)) return NULL;
    /* flags: one byte per id (bit 0: UNK, bit 1: byte fallback), read while the ids are; ids past
       its end have none */
    const unsigned char *flags = fb.buf;
    long long nflags = fb.buf ? (long long)fb.len : 0;
    PyObject *outer = PySequence_Fast(seqs, "expected a sequence of sequences of int");
    if (!outer) {
        if (fb.buf) PyBuffer_Release(&fb);
        return NULL;
    }
    Py_ssize_t m = PySequence_Fast_GET_SIZE(outer), total = 0;
    PyObject *lengths = PyBytes_FromStringAndSize(NULL, m * (Py_ssize_t)sizeof(int64_t)), *flat = NULL, *counts = NULL;
    if (!lengths) goto fail;
    counts = PyBytes_FromStringAndSize(NULL, 2 * m * (Py_ssize_t)sizeof(int64_t));
    if (!counts) goto fail;
    int64_t *len = (int64_t *)PyBytes_AS_STRING(lengths), *cnt = (int64_t *)PyBytes_AS_STRING(counts);
    memset(cnt, 0, 2 * m * sizeof(int64_t));
    for (Py_ssize_t i = 0; i < m; i++) {
        Py_ssize_t k = PyObject_Length(PySequence_Fast_GET_ITEM(outer, i));
        if (k < 0) goto fail;
        len[i] = k;
        total += k;
    }
    flat = PyBytes_FromStringAndSize(NULL, total * (Py_ssize_t)sizeof(int64_t));
    if (!flat) goto fail;
    int64_t *out = (int64_t *)PyBytes_AS_STRING(flat);
    for (Py_ssize_t i = 0; i < m; i++) {
        PyObject *inner = PySequence_Fast(PySequence_Fast_GET_ITEM(outer, i), "expected a sequence of int");
        if (!inner) goto fail;
        Py_ssize_t k = PySequence_Fast_GET_SIZE(inner);
        if (k != len[i]) {
            Py_DECREF(inner);
            PyErr_SetString(PyExc_RuntimeError, "a sequence changed length while being read");
            goto fail;
        }
        PyObject **items = PySequence_Fast_ITEMS(inner);
        int64_t unk = 0, fallback = 0;
        for (Py_ssize_t j = 0; j < k; j++) {
            long long v = PyLong_AsLongLong(items[j]);
            if (v == -1 && PyErr_Occurred()) {
                Py_DECREF(inner);
                goto fail;
            }
            *out++ = v;
            if (v >= 0 && v < nflags) {
                unk += flags[v] & 1;
                fallback += (flags[v] >> 1) & 1;
            }
        }
        cnt[2 * i] = unk;
        cnt[2 * i + 1] = fallback;
        Py_DECREF(inner);
    }
    Py_DECREF(outer);
    if (fb.buf) PyBuffer_Release(&fb);
    return Py_BuildValue("(NNN)", flat, lengths, counts);
fail:
    Py_DECREF(outer);
    Py_XDECREF(lengths);
    Py_XDECREF(flat);
    Py_XDECREF(counts);
    if (fb.buf) PyBuffer_Release(&fb);
    return NULL;
}

/* spells_texts(flat, lengths, texts, blob, offsets, sure, strip) -> bytes, one per text: 1 when the
 * pieces of the text's ids, back to back, are exactly the text's UTF-8 bytes, else 0. flat and
 * lengths are flatten_ids' output; piece i is blob[offsets[i]:offsets[i + 1]] (offsets: int64,
 * V + 1 of them); sure[i] (uint8) is 0 for an id whose piece may not be what the decoder puts out
 * (the answer is then 0: ask the library). With strip, one leading space of the first piece is
 * dropped (SentencePiece's decoder drops the dummy-prefix space). */
static PyObject *spells_texts(PyObject *self, PyObject *args) {
    Py_buffer flat, lengths, blob, offsets, sure;
    PyObject *texts;
    int strip;
    if (!PyArg_ParseTuple(args, "y*y*Oy*y*y*p", &flat, &lengths, &texts, &blob, &offsets, &sure, &strip))
        return NULL;
    PyObject *seq = NULL, *out = NULL;
    Py_ssize_t m = lengths.len / (Py_ssize_t)sizeof(int64_t), n_ids = flat.len / (Py_ssize_t)sizeof(int64_t);
    Py_ssize_t vocab = sure.len;
    if (offsets.len != (vocab + 1) * (Py_ssize_t)sizeof(int64_t)) {
        PyErr_SetString(PyExc_ValueError, "offsets must hold one more int64 than sure has ids");
        goto done;
    }
    seq = PySequence_Fast(texts, "expected a sequence of str");
    if (!seq) goto done;
    if (PySequence_Fast_GET_SIZE(seq) != m) {
        PyErr_SetString(PyExc_ValueError, "one length per text expected");
        goto done;
    }
    out = PyBytes_FromStringAndSize(NULL, m);
    if (!out) goto done;
    const int64_t *ids = (const int64_t *)flat.buf, *len = (const int64_t *)lengths.buf, *off = (const int64_t *)offsets.buf;
    const unsigned char *ok = (const unsigned char *)sure.buf, *pieces = (const unsigned char *)blob.buf;
    unsigned char *res = (unsigned char *)PyBytes_AS_STRING(out);
    Py_ssize_t at = 0;
    for (Py_ssize_t i = 0; i < m; i++) {
        Py_ssize_t n_text;
        const char *text = PyUnicode_AsUTF8AndSize(PySequence_Fast_GET_ITEM(seq, i), &n_text);
        if (!text || len[i] < 0 || at + len[i] > n_ids) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "lengths do not match the ids");
            Py_CLEAR(out);
            goto done;
        }
        Py_ssize_t pos = 0;
        int same = 1;
        for (int64_t j = 0; j < len[i] && same; j++) {
            int64_t id = ids[at + j];
            if (id < 0 || id >= vocab || !ok[id]) {
                same = 0;
                break;
            }
            int64_t a = off[id], b = off[id + 1];
            if (j == 0 && strip && b > a && pieces[a] == ' ') a++;
            if (b - a > n_text - pos || memcmp(pieces + a, text + pos, (size_t)(b - a)) != 0) same = 0;
            pos += b - a;
        }
        res[i] = (unsigned char)(same && pos == n_text);
        at += len[i];
    }
done:
    Py_XDECREF(seq);
    PyBuffer_Release(&flat);
    PyBuffer_Release(&lengths);
    PyBuffer_Release(&blob);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&sure);
    return out;
}

/* BLAKE2b (RFC 7693) with an 8-byte digest and no key, as hashlib.blake2b(data, digest_size=8). */
static const uint64_t B2_IV[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};
static const uint8_t B2_SIGMA[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4}, {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13}, {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11}, {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5}, {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3}};

static inline uint64_t rotr64(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

#define B2_G(a, b, c, d, x, y)           \
    do {                                 \
        v[a] = v[a] + v[b] + (x);        \
        v[d] = rotr64(v[d] ^ v[a], 32);  \
        v[c] = v[c] + v[d];              \
        v[b] = rotr64(v[b] ^ v[c], 24);  \
        v[a] = v[a] + v[b] + (y);        \
        v[d] = rotr64(v[d] ^ v[a], 16);  \
        v[c] = v[c] + v[d];              \
        v[b] = rotr64(v[b] ^ v[c], 63);  \
    } while (0)

static void b2_compress(uint64_t h[8], const unsigned char block[128], uint64_t t, int last) {
    uint64_t m[16], v[16];
    for (int i = 0; i < 16; i++) {
        uint64_t w = 0;
        for (int j = 7; j >= 0; j--) w = (w << 8) | block[8 * i + j];
        m[i] = w;
    }
    for (int i = 0; i < 8; i++) {
        v[i] = h[i];
        v[i + 8] = B2_IV[i];
    }
    v[12] ^= t;
    if (last) v[14] = ~v[14];
    for (int r = 0; r < 12; r++) {
        const uint8_t *s = B2_SIGMA[r];
        B2_G(0, 4, 8, 12, m[s[0]], m[s[1]]);
        B2_G(1, 5, 9, 13, m[s[2]], m[s[3]]);
        B2_G(2, 6, 10, 14, m[s[4]], m[s[5]]);
        B2_G(3, 7, 11, 15, m[s[6]], m[s[7]]);
        B2_G(0, 5, 10, 15, m[s[8]], m[s[9]]);
        B2_G(1, 6, 11, 12, m[s[10]], m[s[11]]);
        B2_G(2, 7, 8, 13, m[s[12]], m[s[13]]);
        B2_G(3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
    for (int i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
}

/* The first 8 bytes of BLAKE2b-64(data), read as a big-endian integer (as int.from_bytes(..., "big")). */
static uint64_t blake2b_64(const unsigned char *data, size_t n) {
    uint64_t h[8];
    memcpy(h, B2_IV, sizeof h);
    h[0] ^= 0x01010000ULL ^ 8; /* no key, 8-byte digest */
    unsigned char block[128];
    uint64_t t = 0;
    while (n > 128) {
        t += 128;
        b2_compress(h, data, t, 0);
        data += 128;
        n -= 128;
    }
    memset(block, 0, sizeof block);
    memcpy(block, data, n);
    b2_compress(h, block, t + n, 1);
    uint64_t out = 0;
    for (int j = 0; j < 8; j++) out = (out << 8) | ((h[0] >> (8 * j)) & 0xFF);
    return out;
}

/* for each str, int.from_bytes(blake2b(id.encode(), digest_size=8).digest(), "big") >> shift, as
 * 64-bit integers, without a Python call per document. doc_keys(ids) -> bytes: shifted by one
 * (tokeff.metrics.bootstrap.doc_key, int64). */
static PyObject *hash_ids(PyObject *ids, int shift) {
    PyObject *seq = PySequence_Fast(ids, "expected a sequence of str");
    if (!seq) return NULL;
    Py_ssize_t m = PySequence_Fast_GET_SIZE(seq);
    PyObject *out = PyBytes_FromStringAndSize(NULL, m * (Py_ssize_t)sizeof(int64_t));
    if (!out) goto done;
    int64_t *keys = (int64_t *)PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < m; i++) {
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(PySequence_Fast_GET_ITEM(seq, i), &n);
        if (!s) {
            Py_CLEAR(out);
            goto done;
        }
        keys[i] = (int64_t)(blake2b_64((const unsigned char *)s, (size_t)n) >> shift);
    }
done:
    Py_DECREF(seq);
    return out;
}

static PyObject *doc_keys(PyObject *self, PyObject *ids) { return hash_ids(ids, 1); }

/* doc_hashes(ids) -> bytes: the whole 64-bit hash of each id (as uint64), which
   tokeff.corpus.core.split_of compares with the train fraction */
static PyObject *doc_hashes(PyObject *self, PyObject *ids) { return hash_ids(ids, 0); }

static PyMethodDef methods[] = {
    {"scan_texts", scan_texts, METH_VARARGS,
     "scan_texts(table, texts, classes, want_words, words_out) -> (stats, ids)"},
    {"intern_words", intern_words, METH_VARARGS, "intern_words(table, words, words_out) -> ids"},
    {"flatten_ids", flatten_ids, METH_VARARGS,
     "flatten_ids(seqs[, flags]) -> (flat, lengths, counts): int64 bytes; counts: UNK and byte-fallback ids per sequence"},
    {"spells_texts", spells_texts, METH_VARARGS,
     "spells_texts(flat, lengths, texts, blob, offsets, sure, strip) -> bytes: 1 where the pieces spell the text"},
    {"doc_keys", doc_keys, METH_O, "doc_keys(ids) -> int64 bytes: tokeff.metrics.bootstrap.doc_key of each id"},
    {"doc_hashes", doc_hashes, METH_O, "doc_hashes(ids) -> uint64 bytes: the 64-bit hash split_of compares"},
    {"segments_new", segments_new, METH_NOARGS, "segments_new() -> a counter of space-cut pieces"},
    {"segments_add", segments_add, METH_VARARGS, "segments_add(counter, texts) -> None"},
    {"segments_result", segments_result, METH_O, "segments_result(counter) -> {piece: count}, emptied"},
    {"learn_merges", learn_merges, METH_VARARGS,
     "learn_merges(chunks, n_merges, min_frequency, tie_keys, on_merge) -> list of (a, b) merges"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_core", "C merge loop for tokeff.bpe", -1, methods};

/* Bumped whenever a function is added or its arguments change, together with ABI in native.py:
   an editable install whose core was built from older source is then refused with a warning
   (and pure Python used) instead of failing mid-run on a function it lacks. */
#define CORE_ABI 2

PyMODINIT_FUNC PyInit__core(void) {
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "ABI", CORE_ABI) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
