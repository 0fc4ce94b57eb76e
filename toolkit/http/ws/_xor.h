/*
 * The XOR loop shared by the WebSocket accelerators (_mask_c.c, _framing_c.c):
 * out[i] = in[i] ^ key[(offset + i) % 4], eight bytes at a time.  ``out`` may
 * be ``in`` (masking in place).  Include <Python.h> first.
 */
#ifndef TOOLKIT_WS_XOR_H
#define TOOLKIT_WS_XOR_H

#include <stdint.h>
#include <string.h>

static void
xor_key(unsigned char *out, const unsigned char *in, Py_ssize_t n,
        const unsigned char key[4], Py_ssize_t offset)
{
    unsigned char rotated[8];
    uint64_t key8;
    Py_ssize_t i = 0;
    int j;

    for (j = 0; j < 8; j++) {
        rotated[j] = key[(offset + j) & 3];
    }
    memcpy(&key8, rotated, 8);
    /* memcpy keeps the loads and stores legal for unaligned pointers; the
       compiler turns them into plain (often vector) moves. */
    for (; i + 32 <= n; i += 32) {
        uint64_t a, b, c, d;
        memcpy(&a, in + i, 8);
        memcpy(&b, in + i + 8, 8);
        memcpy(&c, in + i + 16, 8);
        memcpy(&d, in + i + 24, 8);
        a ^= key8;
        b ^= key8;
        c ^= key8;
        d ^= key8;
        memcpy(out + i, &a, 8);
        memcpy(out + i + 8, &b, 8);
        memcpy(out + i + 16, &c, 8);
        memcpy(out + i + 24, &d, 8);
    }
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, in + i, 8);
        v ^= key8;
        memcpy(out + i, &v, 8);
    }
    for (; i < n; i++) {
        out[i] = in[i] ^ rotated[i & 3];
    }
}

#endif /* TOOLKIT_WS_XOR_H */
