/*
 * tokeff/_native/merge.c -- the BPE merge loop of tokeff/bpe/merge_loop.py, in C.
 *
 * Same algorithm, same results (the tests compare both): words are arrays of token ids with a
 * count; an open-addressing hash map gives each adjacent pair (a, b) a slot holding its count and
 * the list of words it occurs in; a binary max-heap orders (count, key(a), key(b)) with stale
 * entries refreshed lazily when they reach the top. A merge rewrites only the words listed for its
 * pair and adjusts the counts of the neighbouring pairs. See merge_loop.py for the algorithm and
 * the tie-breaking rule; this file only adds the bookkeeping C needs.
 *
 *   learn_merges(chunks: dict[str, int], n_merges: int, min_frequency: int,
 *                tie_keys: list[int] (256 items), on_merge: callable | None,
 *                release: bool = False) -> list[tuple[int, int]]
 *
 * release: empty `chunks` once its words are read, so that the dict (a str and an int per chunk)
 * is not alive beside the merge state while that grows (the caller keeps no other use for it).
 */
#include "core.h"

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

PyObject *learn_merges(PyObject *self, PyObject *args) {
    PyObject *chunks, *tie_keys, *on_merge;
    Py_ssize_t n_merges;
    long long min_frequency;
    int release = 0;
    if (!PyArg_ParseTuple(args, "O!nLOO|p", &PyDict_Type, &chunks, &n_merges, &min_frequency, &tie_keys,
                          &on_merge, &release))
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
    if (release) PyDict_Clear(chunks);
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
