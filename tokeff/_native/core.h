/*
 * tokeff/_native/core.h -- what the files of the compiled core share: the includes, and the
 * functions module.c puts in the method table of tokeff._native._core.
 *
 * One extension module, several files, one per purpose:
 *   merge.c    the BPE merge loop (tokeff/bpe/merge_loop.py, in C)
 *   intern.h/c the table of interned strings (pieces of text, words) that pieces.c and scan.c fill
 *   pieces.c   the BPE trainer's counter of space-cut pieces (tokeff/bpe/count.py)
 *   scan.c     the analysis pass's text scan: per-document counts and word ids, or sizes alone
 *              (tokeff/metrics/batch.py)
 *   ids.c      a tokenizer's ids flattened with their UNK/byte-fallback counts, and the round-trip
 *              spelling check
 *   blake2b.c  BLAKE2b-64 of document ids, for the split and the bootstrap (tokeff/docid.py)
 *   module.c   the method table, the interface number (ABI) and the module's init
 */
#ifndef TOKEFF_NATIVE_CORE_H
#define TOKEFF_NATIVE_CORE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* merge.c */
PyObject *learn_merges(PyObject *self, PyObject *args);
/* intern.c */
PyObject *segments_new(PyObject *self, PyObject *noargs);
/* pieces.c */
PyObject *segments_add(PyObject *self, PyObject *args);
PyObject *segments_take(PyObject *self, PyObject *args);
/* scan.c */
PyObject *scan_texts(PyObject *self, PyObject *args);
PyObject *intern_words(PyObject *self, PyObject *args);
PyObject *text_sizes(PyObject *self, PyObject *args);
/* ids.c */
PyObject *flatten_ids(PyObject *self, PyObject *args);
PyObject *spells_texts(PyObject *self, PyObject *args);
/* blake2b.c */
PyObject *doc_keys(PyObject *self, PyObject *ids);
PyObject *doc_hashes(PyObject *self, PyObject *ids);

#endif
