/*
 * tokeff/_native/scan.c -- the analysis pass's text scan (tokeff/metrics/batch.py): per-document
 * counts and word ids, the tokenizer-independent work of every chunk, in one pass over each text
 * instead of a dozen Python calls per document. Words are interned in a table of interned strings
 * (intern.h), so a word occurrence costs a hash and a compare, and a Python string is made once
 * per distinct word.
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
 *
 *   text_sizes(texts, nonspace=False) -> sizes
 *       int64 (UTF-8 bytes, code points[, non-whitespace characters]) per text: the counts of
 *       scan_texts when no word is wanted, without its class lookups (and without its whitespace
 *       tests unless asked: compression needs bytes and code points only)
 */
#include "intern.h"

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

PyObject *scan_texts(PyObject *self, PyObject *args) {
    PyObject *cap, *texts, *words_out;
    Py_buffer cb, want;
    if (!PyArg_ParseTuple(args, "OOy*y*O!", &cap, &texts, &cb, &want, &PyList_Type, &words_out)) return NULL;
    PyObject *seq = NULL, *stats = NULL;
    I64Vec ids = {NULL, 0, 0};
    Segs *g = PyCapsule_GetPointer(cap, SEGS_CAPSULE);
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

PyObject *intern_words(PyObject *self, PyObject *args) {
    PyObject *cap, *words, *words_out;
    if (!PyArg_ParseTuple(args, "OOO!", &cap, &words, &PyList_Type, &words_out)) return NULL;
    Segs *g = PyCapsule_GetPointer(cap, SEGS_CAPSULE);
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

/* UTF-8 bytes of n code points of one kind: one per code point, one more for each from U+0080,
   U+0800 and U+10000 on. Branch-free loops, which the compiler vectorises. */
static int64_t utf8_size(int kind, const void *data, Py_ssize_t n) {
    int64_t extra = 0;
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *p = data;
        for (Py_ssize_t i = 0; i < n; i++) extra += p[i] >> 7;
    } else if (kind == PyUnicode_2BYTE_KIND) {
        const Py_UCS2 *p = data;
        for (Py_ssize_t i = 0; i < n; i++) extra += (p[i] >= 0x80) + (p[i] >= 0x800);
    } else {
        const Py_UCS4 *p = data;
        for (Py_ssize_t i = 0; i < n; i++) extra += (p[i] >= 0x80) + (p[i] >= 0x800) + (p[i] >= 0x10000);
    }
    return (int64_t)n + extra;
}

/* characters of text[0:n] that are not whitespace (!Py_UNICODE_ISSPACE, as in scan_one) */
static inline __attribute__((always_inline)) int64_t nonspace_count(int kind, const void *data, Py_ssize_t n) {
    int64_t k = 0;
    for (Py_ssize_t i = 0; i < n; i++) k += !Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i));
    return k;
}

PyObject *text_sizes(PyObject *self, PyObject *args) {
    PyObject *texts;
    int nonspace = 0;
    if (!PyArg_ParseTuple(args, "O|p", &texts, &nonspace)) return NULL;
    PyObject *seq = PySequence_Fast(texts, "texts must be a sequence of str");
    if (!seq) return NULL;
    Py_ssize_t m = PySequence_Fast_GET_SIZE(seq), w = nonspace ? 3 : 2;
    PyObject *out = PyBytes_FromStringAndSize(NULL, m * w * (Py_ssize_t)sizeof(int64_t));
    if (!out) {
        Py_DECREF(seq);
        return NULL;
    }
    int64_t *st = (int64_t *)PyBytes_AS_STRING(out);
    for (Py_ssize_t t = 0; t < m; t++) {
        PyObject *text = PySequence_Fast_GET_ITEM(seq, t);
        if (!PyUnicode_Check(text)) {
            Py_DECREF(seq);
            Py_DECREF(out);
            PyErr_SetString(PyExc_TypeError, "texts must be str");
            return NULL;
        }
        Py_ssize_t n = PyUnicode_GET_LENGTH(text);
        int kind = PyUnicode_KIND(text);
        const void *data = PyUnicode_DATA(text);
        int64_t *row = st + w * t;
        row[0] = PyUnicode_IS_ASCII(text) ? (int64_t)n : utf8_size(kind, data, n);
        row[1] = n;
        if (nonspace) {
            switch (kind) {
            case PyUnicode_1BYTE_KIND: row[2] = nonspace_count(PyUnicode_1BYTE_KIND, data, n); break;
            case PyUnicode_2BYTE_KIND: row[2] = nonspace_count(PyUnicode_2BYTE_KIND, data, n); break;
            default: row[2] = nonspace_count(PyUnicode_4BYTE_KIND, data, n);
            }
        }
    }
    Py_DECREF(seq);
    return out;
}
