"""Code pages as 256-entry byte -> Unicode lookup tables, used to decode text vectorized.

Python ships codecs for cp037, cp500, cp273, cp875 and cp1026, but not for cp1047 (the
EBCDIC Latin-1 code page of z/OS Unix) nor cp1025 (EBCDIC Cyrillic). Their tables are
written out below from IBM's published code page definitions (CDRA / ICU ``ibm-1047``
and ``ibm-1025``), row by row: entry ``0xRC`` is row R, column C. A table lookup
(``numpy.take``) over a whole block of records is much faster than calling a codec per
field per record, so every code page, including the stdlib ones, becomes such a table.
"""

from __future__ import annotations

import codecs
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from seamline.errors import SourceError

UNDEFINED = 0xFFFFFFFF
"""Table entry of a byte the code page does not define: such bytes quarantine the record."""

# IBM code page 1047 (EBCDIC Latin-1 / Open Systems). Differs from cp037 in six places:
# 0x5F ^, 0xAD [, 0xB0 ¬, 0xBA Ý, 0xBB ¨, 0xBD ].
_CP1047 = (
    "0000 0001 0002 0003 009C 0009 0086 007F 0097 008D 008E 000B 000C 000D 000E 000F",
    "0010 0011 0012 0013 009D 0085 0008 0087 0018 0019 0092 008F 001C 001D 001E 001F",
    "0080 0081 0082 0083 0084 000A 0017 001B 0088 0089 008A 008B 008C 0005 0006 0007",
    "0090 0091 0016 0093 0094 0095 0096 0004 0098 0099 009A 009B 0014 0015 009E 001A",
    "0020 00A0 00E2 00E4 00E0 00E1 00E3 00E5 00E7 00F1 00A2 002E 003C 0028 002B 007C",
    "0026 00E9 00EA 00EB 00E8 00ED 00EE 00EF 00EC 00DF 0021 0024 002A 0029 003B 005E",
    "002D 002F 00C2 00C4 00C0 00C1 00C3 00C5 00C7 00D1 00A6 002C 0025 005F 003E 003F",
    "00F8 00C9 00CA 00CB 00C8 00CD 00CE 00CF 00CC 0060 003A 0023 0040 0027 003D 0022",
    "00D8 0061 0062 0063 0064 0065 0066 0067 0068 0069 00AB 00BB 00F0 00FD 00FE 00B1",
    "00B0 006A 006B 006C 006D 006E 006F 0070 0071 0072 00AA 00BA 00E6 00B8 00C6 00A4",
    "00B5 007E 0073 0074 0075 0076 0077 0078 0079 007A 00A1 00BF 00D0 005B 00DE 00AE",
    "00AC 00A3 00A5 00B7 00A9 00A7 00B6 00BC 00BD 00BE 00DD 00A8 00AF 005D 00B4 00D7",
    "007B 0041 0042 0043 0044 0045 0046 0047 0048 0049 00AD 00F4 00F6 00F2 00F3 00F5",
    "007D 004A 004B 004C 004D 004E 004F 0050 0051 0052 00B9 00FB 00FC 00F9 00FA 00FF",
    "005C 00F7 0053 0054 0055 0056 0057 0058 0059 005A 00B2 00D4 00D6 00D2 00D3 00D5",
    "0030 0031 0032 0033 0034 0035 0036 0037 0038 0039 00B3 00DB 00DC 00D9 00DA 009F",
)

# IBM code page 1025 (EBCDIC Cyrillic multilingual: Russian, Serbian, Macedonian, ...).
_CP1025 = (
    "0000 0001 0002 0003 009C 0009 0086 007F 0097 008D 008E 000B 000C 000D 000E 000F",
    "0010 0011 0012 0013 009D 0085 0008 0087 0018 0019 0092 008F 001C 001D 001E 001F",
    "0080 0081 0082 0083 0084 000A 0017 001B 0088 0089 008A 008B 008C 0005 0006 0007",
    "0090 0091 0016 0093 0094 0095 0096 0004 0098 0099 009A 009B 0014 0015 009E 001A",
    "0020 00A0 0452 0453 0451 0454 0455 0456 0457 0458 005B 002E 003C 0028 002B 0021",
    "0026 0459 045A 045B 045C 045E 045F 042A 2116 0402 005D 0024 002A 0029 003B 005E",
    "002D 002F 0403 0401 0404 0405 0406 0407 0408 0409 007C 002C 0025 005F 003E 003F",
    "040A 040B 040C 00AD 040E 040F 044E 0430 0431 0060 003A 0023 0040 0027 003D 0022",
    "0446 0061 0062 0063 0064 0065 0066 0067 0068 0069 0434 0435 0444 0433 0445 0438",
    "0439 006A 006B 006C 006D 006E 006F 0070 0071 0072 043A 043B 043C 043D 043E 043F",
    "044F 007E 0073 0074 0075 0076 0077 0078 0079 007A 0440 0441 0442 0443 0436 0432",
    "044C 044B 0437 0448 044D 0449 0447 044A 042E 0410 0411 0426 0414 0415 0424 0413",
    "007B 0041 0042 0043 0044 0045 0046 0047 0048 0049 0425 0418 0419 041A 041B 041C",
    "007D 004A 004B 004C 004D 004E 004F 0050 0051 0052 041D 041E 041F 042F 0420 0421",
    "005C 00A7 0053 0054 0055 0056 0057 0058 0059 005A 0422 0423 0416 0412 042C 042B",
    "0030 0031 0032 0033 0034 0035 0036 0037 0038 0039 0417 0428 042D 0429 0427 009F",
)

_HAND_WRITTEN = {"cp1047": _CP1047, "cp1025": _CP1025}
_ALIASES = {
    "ibm037": "cp037",
    "ibm-037": "cp037",
    "ebcdic": "cp037",
    "ibm1047": "cp1047",
    "ibm-1047": "cp1047",
    "1047": "cp1047",
    "ibm1025": "cp1025",
    "ibm-1025": "cp1025",
    "1025": "cp1025",
    "us-ascii": "ascii",
    "common": "ebcdic-common",
}
EBCDIC_FAMILY_HINT = (
    "cp037, cp500, cp1047, cp273, cp875, cp1025, ebcdic-common, ascii or a Python codec name"
)


def canonical(encoding: str) -> str:
    """The code page's canonical name (lower case, aliases resolved)."""
    name = encoding.strip().lower().replace("_", "-")
    name = _ALIASES.get(name, name)
    return name.replace("-", "") if name.startswith("cp") else name


def _ebcdic_common() -> npt.NDArray[np.uint32]:
    """``ebcdic-common``: cp037 cut down to printable ASCII, every other byte a space.

    This is the EBCDIC "invariant" repertoire that Cobrix decodes by default: binary junk
    or national letters in a text field read as blanks rather than stray Latin-1 letters,
    which is what extracts checked against Cobrix output expect. Two bytes keep an ASCII
    look-alike (0x6A broken bar -> ``|``, 0xCA soft hyphen -> ``-``).
    """
    table = np.full(256, 0x20, dtype=np.uint32)
    for byte in range(256):
        char = bytes([byte]).decode("cp037")
        if 0x20 <= ord(char) < 0x7F:
            table[byte] = ord(char)
    table[0x6A], table[0xCA] = ord("|"), ord("-")
    table[0x0D], table[0x25] = 0x0D, 0x0A
    return table


@lru_cache(maxsize=32)
def decode_table(encoding: str) -> npt.NDArray[np.uint32]:
    """Byte -> Unicode code point for all 256 bytes; :data:`UNDEFINED` where undefined."""
    name = canonical(encoding)
    if name == "ebcdic-common":
        return _ebcdic_common()
    if name in _HAND_WRITTEN:
        words = " ".join(_HAND_WRITTEN[name]).split()
        return np.array([int(w, 16) for w in words], dtype=np.uint32)
    try:
        codecs.lookup(name)
    except LookupError:
        raise SourceError(
            f"unknown encoding {encoding!r}",
            allowed=EBCDIC_FAMILY_HINT,
            hint="Set source.encoding to the code page the mainframe extract was written in.",
        ) from None
    table = np.full(256, UNDEFINED, dtype=np.uint32)
    for byte in range(256):
        try:
            text = bytes([byte]).decode(name)
        except UnicodeDecodeError:
            continue
        if len(text) == 1 and text not in "\ufffe\ufffd":
            table[byte] = ord(text)
    return table


def is_ebcdic(encoding: str) -> bool:
    """Whether the code page is EBCDIC (digit '0' is byte 0xF0) rather than ASCII-based."""
    return int(decode_table(encoding)[0xF0]) == ord("0")
