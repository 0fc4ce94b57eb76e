/*
 * WebSocket payload masking (RFC 6455 section 5.3) in C: the optional
 * accelerator behind toolkit.http.ws._mask.  Both functions take the 4-byte
 * key, the data (any object with the buffer protocol) and the offset of the
 * data's first byte inside the frame payload, so a payload that arrives in
 * pieces can be unmasked piece by piece.
 *
 *   mask(key, data, offset=0) -> bytes        a masked copy
 *   mask_inplace(key, buffer, offset=0) -> None   masks a writable buffer
 *   mask_chunks(key, chunks) -> bytes        joins a list of buffers and masks
 *                                            them in one pass (one allocation)
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "_xor.h"

/* Above this many bytes the GIL is released while masking. */
#define RELEASE_GIL_AT (1 << 16)

/* Copy the 4-byte key out of any buffer. */
static int
parse_key(PyObject *obj, unsigned char key[4])
{
    Py_buffer kb;

    if (PyBytes_CheckExact(obj) && PyBytes_GET_SIZE(obj) == 4) {
        memcpy(key, PyBytes_AS_STRING(obj), 4);  /* the usual case, no buffer export */
        return 0;
    }
    if (PyObject_GetBuffer(obj, &kb, PyBUF_SIMPLE) < 0) {
        return -1;
    }
    if (kb.len != 4) {
        PyErr_Format(PyExc_ValueError,
                     "a WebSocket mask is 4 bytes long, got %zd", kb.len);
        PyBuffer_Release(&kb);
        return -1;
    }
    memcpy(key, kb.buf, 4);
    PyBuffer_Release(&kb);
    return 0;
}

/* Parse (key, data[, offset]); fills the key and the offset. */
static int
parse_args(PyObject *const *args, Py_ssize_t nargs, const char *name,
           unsigned char key[4], Py_ssize_t *offset)
{
    if (nargs < 2 || nargs > 3) {
        PyErr_Format(PyExc_TypeError,
                     "%s() takes 2 or 3 positional arguments (%zd given)",
                     name, nargs);
        return -1;
    }
    if (parse_key(args[0], key) < 0) {
        return -1;
    }
    *offset = 0;
    if (nargs == 3) {
        *offset = PyLong_AsSsize_t(args[2]);
        if (*offset == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (*offset < 0) {
            PyErr_Format(PyExc_ValueError,
                         "offset must be >= 0, got %zd", *offset);
            return -1;
        }
    }
    return 0;
}

static PyObject *
mask(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    unsigned char key[4];
    Py_ssize_t offset;
    Py_buffer data;
    PyObject *result;

    if (parse_args(args, nargs, "mask", key, &offset) < 0) {
        return NULL;
    }
    if (PyBytes_CheckExact(args[1]) && PyBytes_GET_SIZE(args[1]) < RELEASE_GIL_AT) {
        /* small bytes: no buffer export, no GIL release */
        Py_ssize_t n = PyBytes_GET_SIZE(args[1]);
        result = PyBytes_FromStringAndSize(NULL, n);
        if (result != NULL) {
            xor_key((unsigned char *)PyBytes_AS_STRING(result),
                    (const unsigned char *)PyBytes_AS_STRING(args[1]), n, key, offset);
        }
        return result;
    }
    if (PyObject_GetBuffer(args[1], &data, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    result = PyBytes_FromStringAndSize(NULL, data.len);
    if (result != NULL) {
        unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
        if (data.len >= RELEASE_GIL_AT) {
            Py_BEGIN_ALLOW_THREADS
            xor_key(out, data.buf, data.len, key, offset);
            Py_END_ALLOW_THREADS
        }
        else {
            xor_key(out, data.buf, data.len, key, offset);
        }
    }
    PyBuffer_Release(&data);
    return result;
}

static PyObject *
mask_inplace(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    unsigned char key[4];
    Py_ssize_t offset;
    Py_buffer data;

    if (parse_args(args, nargs, "mask_inplace", key, &offset) < 0) {
        return NULL;
    }
    if (PyObject_GetBuffer(args[1], &data, PyBUF_WRITABLE) < 0) {
        return NULL;
    }
    if (data.len >= RELEASE_GIL_AT) {
        Py_BEGIN_ALLOW_THREADS
        xor_key(data.buf, data.buf, data.len, key, offset);
        Py_END_ALLOW_THREADS
    }
    else {
        xor_key(data.buf, data.buf, data.len, key, offset);
    }
    PyBuffer_Release(&data);
    Py_RETURN_NONE;
}

static PyObject *
mask_chunks(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    unsigned char key[4];
    Py_ssize_t total = 0, count, i;
    PyObject *seq, *result = NULL;
    Py_buffer *views;

    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError,
                     "mask_chunks() takes 2 positional arguments (%zd given)",
                     nargs);
        return NULL;
    }
    if (parse_key(args[0], key) < 0) {
        return NULL;
    }
    seq = PySequence_Fast(args[1], "mask_chunks() needs a sequence of buffers");
    if (seq == NULL) {
        return NULL;
    }
    count = PySequence_Fast_GET_SIZE(seq);
    views = PyMem_New(Py_buffer, count > 0 ? count : 1);
    if (views == NULL) {
        Py_DECREF(seq);
        return PyErr_NoMemory();
    }
    for (i = 0; i < count; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        if (PyObject_GetBuffer(item, &views[i], PyBUF_SIMPLE) < 0) {
            goto done;
        }
        total += views[i].len;
    }
    result = PyBytes_FromStringAndSize(NULL, total);
    if (result != NULL) {
        unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
        Py_ssize_t pos = 0, j;
        for (j = 0; j < count; j++) {
            xor_key(out + pos, views[j].buf, views[j].len, key, pos);
            pos += views[j].len;
        }
    }
done:
    while (--i >= 0) {
        PyBuffer_Release(&views[i]);
    }
    PyMem_Free(views);
    Py_DECREF(seq);
    return result;
}

static PyMethodDef methods[] = {
    {"mask", (PyCFunction)(void (*)(void))mask, METH_FASTCALL,
     "mask(key, data, offset=0) -> bytes\n\n"
     "XOR data with the 4-byte key, starting at key[offset % 4]."},
    {"mask_inplace", (PyCFunction)(void (*)(void))mask_inplace, METH_FASTCALL,
     "mask_inplace(key, buffer, offset=0) -> None\n\n"
     "Like mask() but XOR a writable buffer in place."},
    {"mask_chunks", (PyCFunction)(void (*)(void))mask_chunks, METH_FASTCALL,
     "mask_chunks(key, chunks) -> bytes\n\n"
     "mask(key, b''.join(chunks)) in one pass, without the joined copy."},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot slots[] = {
#ifdef Py_mod_multiple_interpreters
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "toolkit.http.ws._mask_c",
    "WebSocket masking in C (optional accelerator of toolkit.http.ws._mask).",
    0,
    methods,
    slots,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC
PyInit__mask_c(void)
{
    return PyModuleDef_Init(&module_def);
}
