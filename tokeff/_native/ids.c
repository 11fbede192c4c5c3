/*
 * tokeff/_native/ids.c -- what the analysis pass does with one tokenizer's ids (tokeff/metrics/batch.py).
 *
 *   flatten_ids(seqs[, flags]) -> (flat, lengths, counts)
 *       int64 bytes: the items back to back, each length, and per sequence how many items have
 *       flag bit 0 (UNK) and bit 1 (byte fallback) in flags, one byte per id
 *   spells_texts(flat, lengths, texts, blob, offsets, sure, strip) -> bytes
 *       the round-trip check: 1 per text whose ids' pieces spell it exactly (below)
 */
#include "core.h"

PyObject *flatten_ids(PyObject *self, PyObject *args) {
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
PyObject *spells_texts(PyObject *self, PyObject *args) {
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
