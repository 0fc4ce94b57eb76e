"""Multipart form reading for :meth:`BaseRequest.post`: fields and uploaded files."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import BinaryIO

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict

from toolkit import hdrs
from toolkit.multipart import BodyPartReader, MultipartReader
from toolkit.web.exceptions import HTTPRequestEntityTooLarge

__all__ = ["FileField", "read_multipart_form"]


@dataclass
class FileField:
    """An uploaded file from a multipart form (:meth:`BaseRequest.post`)."""

    name: str
    filename: str
    file: BinaryIO
    content_type: str
    headers: CIMultiDictProxy[str]


async def read_multipart_form(
    reader: MultipartReader, out: MultiDict[str | bytes | FileField], limit: int
) -> None:
    """Read every part of a multipart/form-data body into ``out``.

    Files go to temporary files wrapped in :class:`FileField` (the caller owns and closes
    them); text fields are decoded with their charset. More than ``limit`` bytes in total
    (0: unlimited) raises 413.
    """
    size = 0
    field = await reader.next()
    while field is not None:
        name = getattr(field, "name", None)
        if not isinstance(field, BodyPartReader) or name is None:
            raise ValueError(f"nested multipart is not supported in a form (field {name!r})")
        field_ct = field.headers.get(hdrs.CONTENT_TYPE)
        if field.filename is not None:
            tmp: BinaryIO = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller
            chunk = await field.read_chunk(size=2**16)
            while chunk:
                chunk = field.decode(chunk)
                tmp.write(chunk)
                size += len(chunk)
                if 0 < limit < size:
                    tmp.close()
                    raise HTTPRequestEntityTooLarge(max_size=limit, actual_size=size)
                chunk = await field.read_chunk(size=2**16)
            tmp.seek(0)
            out.add(
                name,
                FileField(
                    name,
                    field.filename,
                    tmp,
                    field_ct or "application/octet-stream",
                    CIMultiDictProxy(CIMultiDict(field.headers)),
                ),
            )
        else:
            value = await field.read(decode=True)
            size += len(value)
            if 0 < limit < size:
                raise HTTPRequestEntityTooLarge(max_size=limit, actual_size=size)
            if field_ct is None or field_ct.startswith("text/"):
                charset = field.get_charset(default="utf-8")
                out.add(name, value.decode(charset))
            else:
                out.add(name, value)
        field = await reader.next()
