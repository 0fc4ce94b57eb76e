"""HTML form bodies: ``application/x-www-form-urlencoded`` or ``multipart/form-data``."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from multidict import MultiDict, MultiDictProxy

from . import hdrs
from .http._rules import LINE_ENDING_RE
from .multipart_writer import MultipartWriter
from .payload import BytesPayload, Payload, get_payload, guess_filename

__all__ = ("FormData",)


class FormData:
    """Collects form fields and builds the body for them with ``form()``.

    The body is URL-encoded unless a field is a file, has a ``filename`` or a
    ``content_type``, or a transfer encoding; then it is ``multipart/form-data``.
    A multipart body can be generated only once.
    """

    def __init__(
        self,
        fields: Any = (),
        quote_fields: bool = True,
        charset: str | None = None,
        *,
        default_to_multipart: bool = False,
    ) -> None:
        self._writer = MultipartWriter("form-data")
        self._fields: list[tuple[MultiDict[str], dict[str, str], Any]] = []
        self._is_multipart = default_to_multipart
        self._is_processed = False
        self._quote_fields = quote_fields
        self._charset = charset
        if isinstance(fields, Mapping) and not isinstance(fields, (MultiDict, MultiDictProxy)):
            fields = list(fields.items())
        elif not isinstance(fields, (list, tuple)):
            fields = (fields,)
        self.add_fields(*fields)

    @property
    def is_multipart(self) -> bool:
        """True when the body will be ``multipart/form-data``."""
        return self._is_multipart

    def add_field(
        self,
        name: str,
        value: Any,
        *,
        content_type: str | None = None,
        filename: str | None = None,
        content_transfer_encoding: str | None = None,
    ) -> None:
        """Add one field; files, file names and content types make the form multipart."""
        if isinstance(value, io.IOBase):
            self._is_multipart = True
        elif isinstance(value, (bytes, bytearray, memoryview)) and filename is None:
            # Raw bytes are sent as a file named after the field (aiohttp 2.x/3.x).
            filename = name
        if filename is not None and not isinstance(filename, str):
            raise TypeError(f"filename must be an instance of str. Got: {filename!r}")
        if filename is None and isinstance(value, io.IOBase):
            filename = guess_filename(value, name)
        type_options: MultiDict[str] = MultiDict({"name": name})
        if filename is not None:
            type_options["filename"] = filename
            self._is_multipart = True
        headers: dict[str, str] = {}
        if content_type is not None:
            if not isinstance(content_type, str):
                raise TypeError(f"content_type must be an instance of str. Got: {content_type!r}")
            if LINE_ENDING_RE.search(content_type):
                raise ValueError(f"content_type {content_type!r} contains CR, LF or NUL")
            headers[hdrs.CONTENT_TYPE] = content_type
            self._is_multipart = True
        if content_transfer_encoding is not None:
            if not isinstance(content_transfer_encoding, str):
                raise TypeError(
                    "content_transfer_encoding must be an instance of str. "
                    f"Got: {content_transfer_encoding!r}"
                )
            headers[hdrs.CONTENT_TRANSFER_ENCODING] = content_transfer_encoding
            self._is_multipart = True
        self._fields.append((type_options, headers, value))

    def add_fields(self, *fields: Any) -> None:
        """Add files, ``(name, value)`` pairs or multidicts of fields."""
        to_add: list[Any] = list(fields)
        while to_add:
            rec = to_add.pop(0)
            if isinstance(rec, io.IOBase):
                self.add_field(guess_filename(rec, "unknown") or "unknown", rec)
            elif isinstance(rec, (MultiDict, MultiDictProxy)):
                to_add.extend(rec.items())
            elif isinstance(rec, (list, tuple)) and len(rec) == 2:
                key, value = rec
                self.add_field(key, value)
            else:
                raise TypeError(
                    "Only io.IOBase, multidict and (name, file) pairs allowed, "
                    f"use .add_field() for passing more complex parameters, got {rec!r}"
                )

    def _gen_form_urlencoded(self) -> BytesPayload:
        data = [(opts["name"], value) for opts, _, value in self._fields]
        charset = self._charset if self._charset is not None else "utf-8"
        if charset == "utf-8":
            content_type = "application/x-www-form-urlencoded"
        else:
            content_type = f"application/x-www-form-urlencoded; charset={charset}"
        try:
            body = urlencode(data, doseq=True, encoding=charset).encode()
        except UnicodeEncodeError as exc:
            raise ValueError(
                f"form field can not be encoded with {charset!r}: "
                f"{exc.object[exc.start : exc.end]!r} ({exc.reason})"
            ) from None
        return BytesPayload(body, content_type=content_type)

    def _gen_form_data(self) -> MultipartWriter:
        if self._is_processed:
            raise RuntimeError("Form data has been processed already")
        for dispparams, headers, value in self._fields:
            try:
                if hdrs.CONTENT_TYPE in headers:
                    part = get_payload(
                        value,
                        content_type=headers[hdrs.CONTENT_TYPE],
                        headers=headers,
                        encoding=self._charset,
                    )
                else:
                    part = get_payload(value, headers=headers, encoding=self._charset)
            except Exception as exc:
                raise TypeError(
                    f"Can not serialize value type: {type(value)!r}\n "
                    f"headers: {headers!r}\n value: {value!r}"
                ) from exc
            if dispparams:
                part.set_content_disposition(
                    "form-data", quote_fields=self._quote_fields, **dispparams
                )
                part.headers.popall(hdrs.CONTENT_LENGTH, None)
            self._writer.append_payload(part)
        self._is_processed = True
        return self._writer

    def __call__(self) -> Payload:
        """Build the body payload."""
        if self._is_multipart:
            return self._gen_form_data()
        return self._gen_form_urlencoded()
