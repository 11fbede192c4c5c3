/*
 * tokeff/_native/module.c -- the extension module tokeff._native._core: its method table, its
 * interface number and its init. The functions live in the other files, one per purpose (core.h).
 */
#include "core.h"

static PyMethodDef methods[] = {
    {"scan_texts", scan_texts, METH_VARARGS,
     "scan_texts(table, texts, classes, want_words, words_out) -> (stats, ids)"},
    {"intern_words", intern_words, METH_VARARGS, "intern_words(table, words, words_out) -> ids"},
    {"text_sizes", text_sizes, METH_VARARGS,
     "text_sizes(texts, nonspace=False) -> int64 bytes: (UTF-8 bytes, code points[, non-space characters]) per text"},
    {"flatten_ids", flatten_ids, METH_VARARGS,
     "flatten_ids(seqs[, flags]) -> (flat, lengths, counts): int64 bytes; counts: UNK and byte-fallback ids per sequence"},
    {"spells_texts", spells_texts, METH_VARARGS,
     "spells_texts(flat, lengths, texts, blob, offsets, sure, strip) -> bytes: 1 where the pieces spell the text"},
    {"doc_keys", doc_keys, METH_O, "doc_keys(ids) -> int64 bytes: tokeff.docid.doc_key of each id"},
    {"doc_hashes", doc_hashes, METH_O, "doc_hashes(ids) -> uint64 bytes: the 64-bit hash split_of compares"},
    {"segments_new", segments_new, METH_NOARGS, "segments_new() -> a counter of space-cut pieces"},
    {"segments_add", segments_add, METH_VARARGS, "segments_add(counter, texts) -> None"},
    {"segments_take", segments_take, METH_VARARGS,
     "segments_take(counter, most) -> {piece: count} of the next most pieces; {} when all are out, emptied"},
    {"learn_merges", learn_merges, METH_VARARGS,
     "learn_merges(chunks, n_merges, min_frequency, tie_keys, on_merge[, release]) -> list of (a, b) merges"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_core",
    "tokeff's compiled core: the BPE merge loop and piece counter, the analysis pass's text scan, id flattening "
    "and round-trip check, and document-id hashes (tokeff._native)",
    -1, methods};

/* Bumped whenever a function is added or its arguments change, together with ABI in
   tokeff/_native/__init__.py: an editable install whose core was built from older source is then
   refused with a warning (and pure Python used) instead of failing mid-run on a function it lacks. */
#define CORE_ABI 3

PyMODINIT_FUNC PyInit__core(void) {
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "ABI", CORE_ABI) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
