/*
 * tokeff/_native/blake2b.c -- the 64-bit BLAKE2b hash of document ids (tokeff/docid.py), for
 * thousands of ids in one call: the split of every document and the bootstrap's key of each.
 *
 *   doc_hashes(ids) -> bytes     uint64 per id: the whole hash (tokeff.docid.doc_hash)
 *   doc_keys(ids) -> bytes       int64 per id: the hash shifted right by one (tokeff.docid.doc_key)
 */
#include "core.h"

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
 * (tokeff.docid.doc_key, int64). */
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

PyObject *doc_keys(PyObject *self, PyObject *ids) { return hash_ids(ids, 1); }

/* doc_hashes(ids) -> bytes: the whole 64-bit hash of each id (as uint64), which
   tokeff.docid.split_of compares with the train fraction */
PyObject *doc_hashes(PyObject *self, PyObject *ids) { return hash_ids(ids, 0); }
