/*
 * WebSocket framing hot paths in C (RFC 6455 section 5): the optional
 * accelerator behind toolkit.http.ws._framing.  Pure functions of their
 * arguments, no I/O; the Python reader and writer stay the state machines
 * and call in here for the common case only.
 *
 *   MessageScanner(message_type, text_type, binary_type, masked, max_size)
 *     .scan(data, pos, out) -> int
 *       Reads the whole "simple" frames at data[pos:] (FIN set, no RSV bit,
 *       TEXT or BINARY, masked exactly when ``masked``, payload complete in
 *       ``data``, at most ``max_size`` bytes unless 0, text valid UTF-8),
 *       unmasks them and appends one message_type(text_type, str, "") or
 *       message_type(binary_type, bytes, "") per frame to the list ``out``.
 *       Returns the position of the first byte not consumed: the start of a
 *       frame it leaves to the caller (incomplete, control, fragmented,
 *       compressed, too big, bad UTF-8, protocol error...) or len(data).
 *
 *   encode(b0, payload, key=None) -> bytes
 *       One frame: first header byte ``b0``, then the length, the key and the
 *       payload (a str is sent as UTF-8) masked with ``key`` (4 bytes, or None
 *       for an unmasked frame), in one allocation.
 *
 *   encode_masked(b0, payload) -> bytes
 *       encode() with a fresh key cut from a pool of os.urandom() bytes.
 *   reset_keys() -> None
 *       Drop the pool (a forked child must not reuse its parent's keys).
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "_xor.h"

/* Above this many bytes the GIL is released while masking. */
#define RELEASE_GIL_AT (1 << 16)
/* Masked text up to this size is unmasked on the stack before decoding. */
#define STACK_TEXT 512
#define KEY_POOL 4096

typedef struct {
    PyObject *scanner_type;
    PyObject *urandom;
    unsigned char keys[KEY_POOL];
    Py_ssize_t key_pos;  /* KEY_POOL: empty */
} module_state;

static inline module_state *
get_state(PyObject *module)
{
    return (module_state *)PyModule_GetState(module);
}

/* -- MessageScanner ------------------------------------------------------ */

typedef struct {
    PyObject_HEAD
    PyTypeObject *message_type;
    PyObject *text_type;
    PyObject *binary_type;
    PyObject *empty;  /* "" : the ``extra`` of a data message */
    int masked;
    Py_ssize_t max_size;
} Scanner;

static PyObject *
scanner_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"message_type", "text_type", "binary_type",
                             "masked", "max_size", NULL};
    PyObject *message_type, *text_type, *binary_type;
    int masked;
    Py_ssize_t max_size;
    Scanner *self;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!OOpn:MessageScanner", kwlist,
                                     &PyType_Type, &message_type, &text_type,
                                     &binary_type, &masked, &max_size)) {
        return NULL;
    }
    if (!PyType_IsSubtype((PyTypeObject *)message_type, &PyTuple_Type)) {
        PyErr_Format(PyExc_TypeError,
                     "message_type must be a tuple subclass, got %R", message_type);
        return NULL;
    }
    if (max_size < 0) {
        PyErr_Format(PyExc_ValueError, "max_size must be >= 0, got %zd", max_size);
        return NULL;
    }
    self = (Scanner *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->empty = PyUnicode_New(0, 0);
    if (self->empty == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    Py_INCREF(message_type);
    self->message_type = (PyTypeObject *)message_type;
    Py_INCREF(text_type);
    self->text_type = text_type;
    Py_INCREF(binary_type);
    self->binary_type = binary_type;
    self->masked = masked;
    self->max_size = max_size;
    return (PyObject *)self;
}

static int
scanner_traverse(Scanner *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->message_type);
    Py_VISIT(self->text_type);
    Py_VISIT(self->binary_type);
    return 0;
}

static int
scanner_clear(Scanner *self)
{
    Py_CLEAR(self->message_type);
    Py_CLEAR(self->text_type);
    Py_CLEAR(self->binary_type);
    Py_CLEAR(self->empty);
    return 0;
}

static void
scanner_dealloc(Scanner *self)
{
    PyTypeObject *type = Py_TYPE(self);

    PyObject_GC_UnTrack(self);
    scanner_clear(self);
    type->tp_free((PyObject *)self);
    Py_DECREF(type);
}

/* message_type((kind, data, "")) without a Python-level __new__; steals data. */
static PyObject *
new_message(Scanner *self, PyObject *kind, PyObject *data)
{
    PyObject *msg = self->message_type->tp_alloc(self->message_type, 3);

    if (msg == NULL) {
        Py_DECREF(data);
        return NULL;
    }
    Py_INCREF(kind);
    PyTuple_SET_ITEM(msg, 0, kind);
    PyTuple_SET_ITEM(msg, 1, data);
    Py_INCREF(self->empty);
    PyTuple_SET_ITEM(msg, 2, self->empty);
    return msg;
}

/* The payload of one frame as bytes or str; NULL without an exception set
   when the text is not valid UTF-8 (the caller leaves that frame alone). */
static PyObject *
frame_payload(const unsigned char *p, Py_ssize_t n, const unsigned char *key, int text)
{
    PyObject *data;

    if (!text) {
        data = PyBytes_FromStringAndSize(key == NULL ? (const char *)p : NULL, n);
        if (data != NULL && key != NULL) {
            unsigned char *out = (unsigned char *)PyBytes_AS_STRING(data);
            if (n >= RELEASE_GIL_AT) {
                Py_BEGIN_ALLOW_THREADS
                xor_key(out, p, n, key, 0);
                Py_END_ALLOW_THREADS
            }
            else {
                xor_key(out, p, n, key, 0);
            }
        }
        return data;
    }
    if (key == NULL) {
        data = PyUnicode_DecodeUTF8((const char *)p, n, "strict");
    }
    else if (n <= STACK_TEXT) {
        unsigned char buf[STACK_TEXT];
        xor_key(buf, p, n, key, 0);
        data = PyUnicode_DecodeUTF8((const char *)buf, n, "strict");
    }
    else {
        unsigned char *buf = PyMem_Malloc((size_t)n);
        if (buf == NULL) {
            return PyErr_NoMemory();
        }
        xor_key(buf, p, n, key, 0);
        data = PyUnicode_DecodeUTF8((const char *)buf, n, "strict");
        PyMem_Free(buf);
    }
    if (data == NULL && PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
        PyErr_Clear();  /* the Python reader raises the protocol error */
    }
    return data;
}

static PyObject *
scanner_scan(Scanner *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *data_obj, *out;
    const unsigned char *d;
    Py_ssize_t pos, end;
    unsigned char mask_bit = self->masked ? 0x80 : 0;

    if (nargs != 3) {
        PyErr_Format(PyExc_TypeError,
                     "scan() takes 3 positional arguments (%zd given)", nargs);
        return NULL;
    }
    data_obj = args[0];
    out = args[2];
    if (!PyBytes_CheckExact(data_obj)) {
        PyErr_Format(PyExc_TypeError, "scan() needs bytes, got %.100s",
                     Py_TYPE(data_obj)->tp_name);
        return NULL;
    }
    if (!PyList_CheckExact(out)) {
        PyErr_Format(PyExc_TypeError, "scan() appends to a list, got %.100s",
                     Py_TYPE(out)->tp_name);
        return NULL;
    }
    pos = PyLong_AsSsize_t(args[1]);
    if (pos == -1 && PyErr_Occurred()) {
        return NULL;
    }
    d = (const unsigned char *)PyBytes_AS_STRING(data_obj);
    end = PyBytes_GET_SIZE(data_obj);
    if (pos < 0 || pos > end) {
        PyErr_Format(PyExc_ValueError,
                     "pos must be within the data (0..%zd), got %zd", end, pos);
        return NULL;
    }

    while (end - pos >= 2) {
        unsigned char b0 = d[pos], b1 = d[pos + 1];
        Py_ssize_t head = 2, avail;
        uint64_t length = b1 & 0x7F;
        const unsigned char *key = NULL;
        PyObject *payload, *msg;
        int text;

        if ((b0 != 0x81 && b0 != 0x82) || (b1 & 0x80) != mask_bit) {
            break;  /* not a final, uncompressed data frame masked as required */
        }
        if (length == 126) {
            head = 4;
        }
        else if (length == 127) {
            head = 10;
        }
        if (mask_bit) {
            head += 4;
        }
        avail = end - pos;
        if (avail < head) {
            break;
        }
        if (length == 126) {
            length = ((uint64_t)d[pos + 2] << 8) | d[pos + 3];
        }
        else if (length == 127) {
            int i;
            length = 0;
            for (i = 2; i < 10; i++) {
                length = (length << 8) | d[pos + i];
            }
            if (length >> 63) {
                break;  /* a protocol error: the reader names it */
            }
        }
        if (length > (uint64_t)(avail - head)) {
            break;  /* incomplete */
        }
        if (self->max_size && length > (uint64_t)self->max_size) {
            break;  /* too big: the reader fails the connection with 1009 */
        }
        if (mask_bit) {
            key = d + pos + head - 4;
        }
        text = b0 == 0x81;
        payload = frame_payload(d + pos + head, (Py_ssize_t)length, key, text);
        if (payload == NULL) {
            if (PyErr_Occurred()) {
                return NULL;
            }
            break;  /* invalid UTF-8: the reader fails the connection with 1007 */
        }
        msg = new_message(self, text ? self->text_type : self->binary_type, payload);
        if (msg == NULL) {
            return NULL;
        }
        if (PyList_Append(out, msg) < 0) {
            Py_DECREF(msg);
            return NULL;
        }
        Py_DECREF(msg);
        pos += head + (Py_ssize_t)length;
    }
    return PyLong_FromSsize_t(pos);
}

static PyObject *
scanner_get_masked(Scanner *self, void *closure)
{
    return PyBool_FromLong(self->masked);
}

static PyObject *
scanner_get_max_size(Scanner *self, void *closure)
{
    return PyLong_FromSsize_t(self->max_size);
}

static PyMethodDef scanner_methods[] = {
    {"scan", (PyCFunction)(void (*)(void))scanner_scan, METH_FASTCALL,
     "scan(data, pos, out) -> int\n\n"
     "Append the messages of the whole simple frames at data[pos:] to out;\n"
     "return the position of the first frame left to the caller."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef scanner_getset[] = {
    {"masked", (getter)scanner_get_masked, NULL, "Whether frames must be masked.", NULL},
    {"max_size", (getter)scanner_get_max_size, NULL,
     "Largest payload taken (0: no bound).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot scanner_slots[] = {
    {Py_tp_new, scanner_new},
    {Py_tp_dealloc, scanner_dealloc},
    {Py_tp_traverse, scanner_traverse},
    {Py_tp_clear, scanner_clear},
    {Py_tp_methods, scanner_methods},
    {Py_tp_getset, scanner_getset},
    {Py_tp_doc,
     "MessageScanner(message_type, text_type, binary_type, masked, max_size)\n\n"
     "Reads runs of whole, final, uncompressed TEXT/BINARY frames."},
    {0, NULL},
};

static PyType_Spec scanner_spec = {
    "toolkit.http.ws._framing_c.MessageScanner",
    sizeof(Scanner),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    scanner_slots,
};

/* -- encoding ------------------------------------------------------------ */

/* Write the header (without the key) for ``n`` payload bytes; returns its size. */
static Py_ssize_t
put_header(unsigned char *h, unsigned char b0, unsigned char mask_bit, Py_ssize_t n)
{
    h[0] = b0;
    if (n < 126) {
        h[1] = mask_bit | (unsigned char)n;
        return 2;
    }
    if (n < 65536) {
        h[1] = mask_bit | 126;
        h[2] = (unsigned char)(n >> 8);
        h[3] = (unsigned char)n;
        return 4;
    }
    h[1] = mask_bit | 127;
    {
        uint64_t v = (uint64_t)n;
        int i;
        for (i = 9; i >= 2; i--) {
            h[i] = (unsigned char)v;
            v >>= 8;
        }
    }
    return 10;
}

static PyObject *
build(unsigned char b0, PyObject *payload, const unsigned char *key)
{
    const unsigned char *p;
    Py_ssize_t n, hlen;
    unsigned char head[14];
    Py_buffer view;
    PyObject *encoded = NULL, *result;
    unsigned char *out;
    int have_view = 0;

    if (PyUnicode_Check(payload)) {
#if PY_VERSION_HEX < 0x030C0000
        if (PyUnicode_READY(payload) < 0) {
            return NULL;
        }
#endif
        if (PyUnicode_IS_ASCII(payload)) {
            p = (const unsigned char *)PyUnicode_DATA(payload);
            n = PyUnicode_GET_LENGTH(payload);
        }
        else {
            encoded = PyUnicode_AsUTF8String(payload);
            if (encoded == NULL) {
                return NULL;
            }
            p = (const unsigned char *)PyBytes_AS_STRING(encoded);
            n = PyBytes_GET_SIZE(encoded);
        }
    }
    else if (PyBytes_CheckExact(payload)) {
        p = (const unsigned char *)PyBytes_AS_STRING(payload);
        n = PyBytes_GET_SIZE(payload);
    }
    else {
        if (PyObject_GetBuffer(payload, &view, PyBUF_SIMPLE) < 0) {
            return NULL;
        }
        have_view = 1;
        p = view.buf;
        n = view.len;
    }
    hlen = put_header(head, b0, key != NULL ? 0x80 : 0, n);
    if (key != NULL) {
        memcpy(head + hlen, key, 4);
        hlen += 4;
    }
    result = PyBytes_FromStringAndSize(NULL, hlen + n);
    if (result != NULL) {
        out = (unsigned char *)PyBytes_AS_STRING(result);
        memcpy(out, head, (size_t)hlen);
        if (key == NULL) {
            memcpy(out + hlen, p, (size_t)n);
        }
        else if (n >= RELEASE_GIL_AT) {
            Py_BEGIN_ALLOW_THREADS
            xor_key(out + hlen, p, n, key, 0);
            Py_END_ALLOW_THREADS
        }
        else {
            xor_key(out + hlen, p, n, key, 0);
        }
    }
    if (have_view) {
        PyBuffer_Release(&view);
    }
    Py_XDECREF(encoded);
    return result;
}

static int
parse_b0(PyObject *obj, unsigned char *b0)
{
    long v = PyLong_AsLong(obj);

    if (v == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (v < 0 || v > 255) {
        PyErr_Format(PyExc_ValueError, "the first header byte is 0..255, got %ld", v);
        return -1;
    }
    *b0 = (unsigned char)v;
    return 0;
}

static PyObject *
encode(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    unsigned char b0, key[4];
    Py_buffer kb;

    if (nargs < 2 || nargs > 3) {
        PyErr_Format(PyExc_TypeError,
                     "encode() takes 2 or 3 positional arguments (%zd given)", nargs);
        return NULL;
    }
    if (parse_b0(args[0], &b0) < 0) {
        return NULL;
    }
    if (nargs == 2 || args[2] == Py_None) {
        return build(b0, args[1], NULL);
    }
    if (PyObject_GetBuffer(args[2], &kb, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    if (kb.len != 4) {
        PyErr_Format(PyExc_ValueError, "a WebSocket mask is 4 bytes long, got %zd", kb.len);
        PyBuffer_Release(&kb);
        return NULL;
    }
    memcpy(key, kb.buf, 4);
    PyBuffer_Release(&kb);
    return build(b0, args[1], key);
}

static PyObject *
encode_masked(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    module_state *state = get_state(module);
    unsigned char b0, key[4];

    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError,
                     "encode_masked() takes 2 positional arguments (%zd given)", nargs);
        return NULL;
    }
    if (parse_b0(args[0], &b0) < 0) {
        return NULL;
    }
    if (state->key_pos + 4 > KEY_POOL) {
        PyObject *fresh = PyObject_CallFunction(state->urandom, "n", (Py_ssize_t)KEY_POOL);
        if (fresh == NULL) {
            return NULL;
        }
        if (!PyBytes_Check(fresh) || PyBytes_GET_SIZE(fresh) != KEY_POOL) {
            PyErr_SetString(PyExc_RuntimeError, "os.urandom() returned a wrong value");
            Py_DECREF(fresh);
            return NULL;
        }
        memcpy(state->keys, PyBytes_AS_STRING(fresh), KEY_POOL);
        Py_DECREF(fresh);
        state->key_pos = 0;
    }
    memcpy(key, state->keys + state->key_pos, 4);
    state->key_pos += 4;
    return build(b0, args[1], key);
}

static PyObject *
reset_keys(PyObject *module, PyObject *unused)
{
    module_state *state = get_state(module);

    memset(state->keys, 0, KEY_POOL);
    state->key_pos = KEY_POOL;
    Py_RETURN_NONE;
}

/* -- module -------------------------------------------------------------- */

static PyMethodDef methods[] = {
    {"encode", (PyCFunction)(void (*)(void))encode, METH_FASTCALL,
     "encode(b0, payload, key=None) -> bytes\n\n"
     "One frame: header byte b0, the length, the key and the payload masked\n"
     "with it (unmasked when key is None). A str payload is sent as UTF-8."},
    {"encode_masked", (PyCFunction)(void (*)(void))encode_masked, METH_FASTCALL,
     "encode_masked(b0, payload) -> bytes\n\n"
     "encode() with a fresh random key from a pool of os.urandom() bytes."},
    {"reset_keys", reset_keys, METH_NOARGS,
     "reset_keys() -> None\n\nForget the pooled random keys (after a fork)."},
    {NULL, NULL, 0, NULL},
};

static int
module_exec(PyObject *module)
{
    module_state *state = get_state(module);
    PyObject *os;

    state->key_pos = KEY_POOL;
    os = PyImport_ImportModule("os");
    if (os == NULL) {
        return -1;
    }
    state->urandom = PyObject_GetAttrString(os, "urandom");
    Py_DECREF(os);
    if (state->urandom == NULL) {
        return -1;
    }
    state->scanner_type = PyType_FromModuleAndSpec(module, &scanner_spec, NULL);
    if (state->scanner_type == NULL) {
        return -1;
    }
    Py_INCREF(state->scanner_type);
    if (PyModule_AddObject(module, "MessageScanner", state->scanner_type) < 0) {
        Py_DECREF(state->scanner_type);
        return -1;
    }
    return 0;
}

static int
module_traverse(PyObject *module, visitproc visit, void *arg)
{
    module_state *state = get_state(module);

    Py_VISIT(state->scanner_type);
    Py_VISIT(state->urandom);
    return 0;
}

static int
module_clear(PyObject *module)
{
    module_state *state = get_state(module);

    Py_CLEAR(state->scanner_type);
    Py_CLEAR(state->urandom);
    return 0;
}

static void
module_free(void *module)
{
    module_clear((PyObject *)module);
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, module_exec},
#ifdef Py_mod_multiple_interpreters
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
    {0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "toolkit.http.ws._framing_c",
    "WebSocket frame reading and building in C (optional accelerator of "
    "toolkit.http.ws._framing).",
    sizeof(module_state),
    methods,
    slots,
    module_traverse,
    module_clear,
    module_free,
};

PyMODINIT_FUNC
PyInit__framing_c(void)
{
    return PyModuleDef_Init(&module_def);
}
