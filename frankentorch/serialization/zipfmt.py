"""PyTorch's checkpoint container: an uncompressed zip whose records are 64-byte aligned.

Only what ``.pt`` files need is supported (stored records, zip64 sizes and offsets), and
every number in the file is checked against the file's length before it is used: a truncated
or inconsistent archive is an :class:`ArchiveError`, never a short read.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from .errors import ArchiveError, TruncatedArchiveError, bounded

__all__ = ["ZipWriter", "ZipReader", "Record", "ALIGNMENT"]

ALIGNMENT = 64
_U32 = 0xFFFFFFFF
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_EOCD = struct.Struct("<IHHHHIIH")
_EOCD64 = struct.Struct("<IQHHIIQQQQ")
_LOCATOR64 = struct.Struct("<IIQI")
_DESCRIPTOR = struct.Struct("<IIII")
_DESCRIPTOR64 = struct.Struct("<IIQQ")
_SIG_LOCAL, _SIG_CENTRAL, _SIG_EOCD = 0x04034B50, 0x02014B50, 0x06054B50
_SIG_EOCD64, _SIG_LOCATOR64, _SIG_DESCRIPTOR = 0x06064B50, 0x07064B50, 0x08074B50
_UTF8, _HAS_DESCRIPTOR = 0x0800, 0x0008
_VERSION = 45  # zip64 capable
_MAX_RECORDS = 1 << 20
# 1980-01-01 00:00: fixed, so equal content gives equal bytes
_DOS_TIME, _DOS_DATE = 0, (0 << 9) | (1 << 5) | 1


@dataclass(frozen=True)
class Record:
    """One stored record: its name, where its bytes start, their length and CRC-32, and
    where its local header starts."""
    name: str
    offset: int
    size: int
    crc32: int
    header: int


class ZipWriter:
    """Writes records to a binary stream, aligning each record's data to 64 bytes.

    The CRC of a record may arrive after its bytes (``end_record``), so the checksum can be
    computed in parallel with the write; a data descriptor then carries it, as PyTorch does.
    """

    def __init__(self, stream) -> None:
        self._out = stream
        self._pos = 0
        self._entries: list[tuple[bytes, int, int, int]] = []
        self._names: set[str] = set()
        self._open: tuple[bytes, int, int] | None = None

    def _write(self, data) -> None:
        n = len(memoryview(data).cast("B"))
        self._out.write(data)
        self._pos += n

    def begin_record(self, name: str, size: int) -> None:
        """Write the local header of ``name``; its ``size`` bytes follow via ``write_data``."""
        if name in self._names:
            raise ArchiveError(f"duplicate record {name!r}")
        self._names.add(name)
        raw = name.encode("utf-8")
        z64 = size >= _U32 or self._pos >= _U32
        extra = struct.pack("<HHQQ", 1, 16, 0, 0) if z64 else b""
        start = self._pos + _LOCAL.size + len(raw) + len(extra)
        pad = -(start + 4) % ALIGNMENT
        extra += b"FB" + struct.pack("<H", pad) + b"Z" * pad
        self._write(_LOCAL.pack(_SIG_LOCAL, _VERSION, _UTF8 | _HAS_DESCRIPTOR, 0, _DOS_TIME,
                                _DOS_DATE, 0, _U32 if z64 else 0, _U32 if z64 else 0, len(raw),
                                len(extra)))
        self._write(raw)
        self._write(extra)
        self._open = (raw, self._pos - _LOCAL.size - len(raw) - len(extra), size)

    def write_data(self, data) -> None:
        self._write(data)

    def end_record(self, crc: int) -> None:
        raw, header, size = self._open
        self._open = None
        if size >= _U32 or header >= _U32:
            self._write(_DESCRIPTOR64.pack(_SIG_DESCRIPTOR, crc, size, size))
        else:
            self._write(_DESCRIPTOR.pack(_SIG_DESCRIPTOR, crc, size, size))
        self._entries.append((raw, header, size, crc))

    def write_record(self, name: str, data: bytes) -> None:
        self.begin_record(name, len(data))
        self.write_data(data)
        self.end_record(zlib.crc32(data))

    def finish(self) -> None:
        """Central directory, zip64 end record and locator, end record."""
        cd_start = self._pos
        for raw, header, size, crc in self._entries:
            fields = [v for v in (size, size, header) if v >= _U32]
            extra = struct.pack(f"<HH{len(fields)}Q", 1, 8 * len(fields), *fields) if fields \
                else b""
            self._write(_CENTRAL.pack(
                _SIG_CENTRAL, _VERSION, _VERSION, _UTF8 | _HAS_DESCRIPTOR, 0, _DOS_TIME,
                _DOS_DATE, crc, min(size, _U32), min(size, _U32), len(raw), len(extra), 0, 0, 0,
                0, min(header, _U32)))
            self._write(raw)
            self._write(extra)
        cd_size = self._pos - cd_start
        n = len(self._entries)
        eocd64 = self._pos
        self._write(_EOCD64.pack(_SIG_EOCD64, _EOCD64.size - 12, _VERSION, _VERSION, 0, 0, n,
                                 n, cd_size, cd_start))
        self._write(_LOCATOR64.pack(_SIG_LOCATOR64, 0, eocd64, 1))
        self._write(_EOCD.pack(_SIG_EOCD, 0, 0, min(n, 0xFFFF), min(n, 0xFFFF),
                               min(cd_size, _U32), min(cd_start, _U32), 0))


def _unpack(st: struct.Struct, buf, pos: int, what: str):
    if pos < 0 or pos + st.size > len(buf):
        raise TruncatedArchiveError(f"checkpoint archive is truncated: the {what} at byte {pos} "
                                    f"runs past the end of the file ({len(buf)} bytes)")
    return st.unpack_from(buf, pos)


def _zip64_values(extra: bytes, wanted: list[bool]) -> list[int]:
    """Values of the zip64 extra field for the header fields that were saturated."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, n = struct.unpack_from("<HH", extra, pos)
        if tag == 1:
            need = sum(wanted)
            if n < 8 * need or pos + 4 + n > len(extra):
                break
            return list(struct.unpack_from(f"<{need}Q", extra, pos + 4))
        pos += 4 + n
    raise ArchiveError("checkpoint archive: a zip64 size or offset has no zip64 extra field")


class ZipReader:
    """Reads the record table of a zip held in a bytes-like buffer (bytes, mmap, memoryview)."""

    def __init__(self, buf) -> None:
        self.buf = buf
        n = len(buf)
        if n == 0:
            raise TruncatedArchiveError("checkpoint file is empty")
        if n < _EOCD.size:
            raise TruncatedArchiveError(f"checkpoint archive is truncated ({n} bytes)")
        tail_start = max(0, n - _EOCD.size - 0xFFFF)
        tail = bytes(buf[tail_start:n])
        sig = struct.pack("<I", _SIG_EOCD)
        pos = tail.rfind(sig, 0, len(tail) - _EOCD.size + 4)
        while pos >= 0 and pos + _EOCD.size + struct.unpack_from("<H", tail, pos + 20)[0] \
                != len(tail):  # a comment must end the file exactly
            pos = tail.rfind(sig, 0, pos + 3)
        if pos < 0:
            if buf[:4] == struct.pack("<I", _SIG_LOCAL):
                raise TruncatedArchiveError(
                    "checkpoint archive is truncated or corrupted: failed finding central "
                    "directory")
            raise ArchiveError("not a checkpoint archive: failed finding central directory "
                               "(frankentorch reads PyTorch's zip format, torch >= 1.6)")
        eocd = tail_start + pos
        _, disk, cd_disk, _, count, cd_size, cd_off, _ = _EOCD.unpack_from(buf, eocd)
        if disk or cd_disk:
            raise ArchiveError("multi-disk zip archives are not supported")
        end = eocd
        loc = eocd - _LOCATOR64.size
        if loc >= 0 and _unpack(_LOCATOR64, buf, loc, "zip64 locator")[0] == _SIG_LOCATOR64:
            _, _, off64, _ = _LOCATOR64.unpack_from(buf, loc)
            if off64 + _EOCD64.size > loc:
                raise ArchiveError("checkpoint archive: zip64 end record out of range")
            sig, _, _, _, _, _, _, count, cd_size, cd_off = _unpack(_EOCD64, buf, off64,
                                                                   "zip64 end record")
            if sig != _SIG_EOCD64:
                raise ArchiveError("checkpoint archive: bad zip64 end record")
            end = off64
        if cd_off + cd_size > end or count > _MAX_RECORDS or count * _CENTRAL.size > cd_size:
            raise TruncatedArchiveError(
                f"checkpoint archive is truncated or corrupted: central directory "
                f"(offset {cd_off}, {cd_size} bytes, {count} records) does not fit")
        self.data_end = cd_off
        self.records: dict[str, Record] = {}
        self._read_directory(cd_off, cd_off + cd_size, count)

    def _read_directory(self, pos: int, stop: int, count: int) -> None:
        buf = self.buf
        for _ in range(count):
            (sig, _, _, flags, method, _, _, crc, csize, usize, nlen, xlen, clen, _, _, _,
             header) = _unpack(_CENTRAL, buf, pos, "central directory entry")
            if sig != _SIG_CENTRAL:
                raise ArchiveError(f"checkpoint archive: bad central directory entry at {pos}")
            pos += _CENTRAL.size
            if pos + nlen + xlen + clen > stop:
                raise ArchiveError("checkpoint archive: central directory entry overruns")
            try:
                name = bytes(buf[pos:pos + nlen]).decode("utf-8")
            except UnicodeDecodeError:
                raise ArchiveError("checkpoint archive: a record name is not UTF-8") from None
            extra = bytes(buf[pos + nlen:pos + nlen + xlen])
            pos += nlen + xlen + clen
            wanted = [usize == _U32, csize == _U32, header == _U32]
            if any(wanted):
                vals = iter(_zip64_values(extra, wanted))
                usize = next(vals) if wanted[0] else usize
                csize = next(vals) if wanted[1] else csize
                header = next(vals) if wanted[2] else header
            if method != 0 or csize != usize:
                raise ArchiveError(f"checkpoint record {bounded(name, 80)!r} is compressed "
                                   f"(method {method}); PyTorch archives store records as is")
            if flags & 0x1:
                raise ArchiveError("checkpoint archive: encrypted records are not supported")
            if name in self.records:
                raise ArchiveError(f"checkpoint archive: duplicate record {bounded(name, 80)!r}")
            self.records[name] = self._locate(name, header, usize, crc)
        if pos != stop:
            raise ArchiveError("checkpoint archive: central directory size does not match "
                               "its entries")
        spans = sorted((r.header, r.offset + r.size, r.name) for r in self.records.values())
        for (_, end, name), (start, _, _) in zip(spans, spans[1:]):
            if start < end:  # records sharing bytes would multiply memory on load
                raise ArchiveError(f"checkpoint archive: record {bounded(name, 80)!r} overlaps "
                                   "the next record")

    def _locate(self, name: str, header: int, size: int, crc: int) -> Record:
        sig, _, _, _, _, _, _, _, _, nlen, xlen = _unpack(_LOCAL, self.buf, header,
                                                          "local header")
        if sig != _SIG_LOCAL:
            raise ArchiveError(f"checkpoint archive: bad local header for {bounded(name, 80)!r}")
        start = header + _LOCAL.size
        if bytes(self.buf[start:start + nlen]) != name.encode("utf-8"):
            raise ArchiveError(f"checkpoint archive: local header of {bounded(name, 80)!r} "
                               "names another record")
        offset = start + nlen + xlen
        if offset + size > self.data_end:
            raise TruncatedArchiveError(
                f"checkpoint archive is truncated or corrupted: record {bounded(name, 80)!r} "
                f"({size} bytes at {offset}) runs past the end of the data")
        return Record(name, offset, size, crc, header)

    def read(self, record: Record, *, check_crc: bool = True) -> memoryview:
        """The record's bytes (a view into the buffer), CRC-checked unless told otherwise."""
        view = memoryview(self.buf)[record.offset:record.offset + record.size]
        if check_crc:
            check_crc32(record, view)
        return view


def crc_mismatch(record: Record, found: int) -> ArchiveError:
    return ArchiveError(f"checkpoint record {bounded(record.name, 80)!r} is corrupted: "
                        f"CRC-32 {found:08x} != {record.crc32:08x} recorded in the archive")


def check_crc32(record: Record, data) -> None:
    found = zlib.crc32(data)
    if found != record.crc32:
        raise crc_mismatch(record, found)
