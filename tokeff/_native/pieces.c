/*
 * tokeff/_native/pieces.c -- the BPE trainer's counter of space-cut pieces (tokeff/bpe/count.py).
 *
 * Space-cut pieces: a counter for the text between cuts placed before every space that follows a
 * non-space character. For the preset patterns (gpt2, cl100k, o200k) no chunk ever crosses such a
 * cut, so pre-splitting the *distinct* pieces gives the same chunk counts as pre-splitting the text
 * (see count.py). "Non-space" is !Py_UNICODE_ISSPACE, stricter than the regex \S (str.isspace() is
 * true for every \s character, and for 4 more), so a cut is never placed where it is not safe.
 * The pieces are counted in a table of interned strings (intern.h).
 *
 *   segments_new() -> capsule                         (intern.c)
 *   segments_add(capsule, texts: list[str]) -> None
 *   segments_take(capsule, most: int) -> dict[str, int]
 *       the next `most` pieces (in order of first sight) with their counts; {} once all are
 *       handed out, and the counter is empty again. No piece is added while some are taken.
 */
#include "intern.h"

static int segs_bump(Segs *g, int kind, const void *data, Py_ssize_t start, Py_ssize_t end) {
    int is_new;
    return segs_intern(g, kind, data, start, end, &is_new) < 0 ? -1 : 0;
}

PyObject *segments_add(PyObject *self, PyObject *args) {
    PyObject *cap, *texts;
    if (!PyArg_ParseTuple(args, "OO", &cap, &texts)) return NULL;
    Segs *g = PyCapsule_GetPointer(cap, SEGS_CAPSULE);
    if (!g) return NULL;
    if (g->taking) {
        PyErr_SetString(PyExc_RuntimeError, "segments_add: the counter is being emptied by segments_take");
        return NULL;
    }
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

/* The pieces are handed to Python a slice at a time so that the table and a dict of every piece
   never exist at once: the caller turns each slice into chunks and drops it before asking for the
   next. The slot table and the hashes go at the first call (nothing is looked up any more); the
   rest when the last piece has been handed out. */
PyObject *segments_take(PyObject *self, PyObject *args) {
    PyObject *cap;
    Py_ssize_t most;
    if (!PyArg_ParseTuple(args, "On", &cap, &most)) return NULL;
    Segs *g = PyCapsule_GetPointer(cap, SEGS_CAPSULE);
    if (!g) return NULL;
    if (most < 1) {
        PyErr_SetString(PyExc_ValueError, "segments_take needs most >= 1");
        return NULL;
    }
    if (!g->taking) {
        free(g->table);
        free(g->hash);
        g->table = NULL;
        g->hash = NULL;
        g->taking = 1;
    }
    PyObject *d = PyDict_New();
    if (!d) return NULL;
    size_t end = g->taken + (size_t)most < g->n ? g->taken + (size_t)most : g->n;
    for (size_t k = g->taken; k < end; k++) {
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
    g->taken = end;
    if (g->taken == g->n) { /* all handed out: the counter is empty again */
        segs_free(g);
        if (segs_init(g) < 0) {
            Py_DECREF(d);
            return PyErr_NoMemory();
        }
    }
    return d;
}
