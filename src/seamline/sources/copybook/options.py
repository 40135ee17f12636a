"""Options of the ``copybook`` source: a mainframe extract described by a COBOL copybook."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from seamline.sources.base import SourceOptions


class CopybookOptions(SourceOptions):
    """``kind: copybook`` — an EBCDIC (or ASCII) record file and the copybook that lays it out.

    Records are fixed-length (F/FB), variable-length after a record descriptor word (V), in
    blocks after a block descriptor word (VB), spanned over several segments (VBS, joined
    again), or text lines (D). Descriptor lengths are read as z/OS writes them, counting
    their own 4 bytes; ``rdw_includes_header: false`` reads files whose lengths count only
    the data. A ``REDEFINES`` larger than the item it redefines widens the group. An
    ``OCCURS DEPENDING ON`` counter may be binary, packed, zoned or ``PIC X`` digits, sit
    inside a table (nested tables), or hold a code that ``occurs_mappings`` turns into a
    count; with ``variable_size_occurs`` the fields after a table move with its count.

    With ``segment_children`` a multi-segment file is read as a hierarchy: each root segment
    is one row, and each child segment lands inside its parent's struct as an element of a
    list column named after the child's group (``COMPANY.DEPT[].EMPLOYEE[]``), in file
    order. ``_record_no`` then counts these assembled records; segments that cannot be
    placed are quarantined, each with its own bytes and position.

    A quarantined record's reason names the field, its byte offset in the record and the
    record's own bytes in hex (cut at 32 bytes); the raw record is kept (up to 1 MiB)."""

    kind: Literal["copybook"] = "copybook"
    path: str
    """The data file, relative to the workspace."""
    copybook: str
    """The COBOL copybook (``.cpy``/``.cob``) describing one record, relative to the workspace."""
    extra_copybooks: list[str] = Field(default_factory=list)
    """More copybooks whose 01 records overlay the first one's (one file per record type),
    each becoming a struct column of its own, as when one copybook holds several 01
    records."""
    compression: Literal["auto", "none", "gzip", "bz2", "xz"] = "auto"
    """How the data file is packed; ``auto`` goes by its suffix (.gz, .bz2, .xz). A packed
    file is unpacked to a temporary file first (positions count unpacked bytes)."""
    encoding: str = "cp037"
    """Code page of text fields: cp037, cp500, cp1047, cp273, cp875, cp1025, ascii, or any
    Python codec name."""
    record_format: Literal["F", "FB", "V", "VB", "VBS", "D"] = "F"
    """F/FB fixed-length records; V records each after a 4-byte record descriptor word
    (RDW); VB blocks, each after a 4-byte block descriptor word (BDW), of RDW records; VBS
    like VB with records spanned over several segments (joined again); D text lines."""
    record_length: int | None = Field(default=None, gt=0)
    """Fixed record length in bytes; default is the copybook's record size."""
    rdw_big_endian: bool = True
    """Whether RDW and BDW lengths are big-endian (mainframe) or little-endian."""
    rdw_includes_header: bool = True
    """RDW and BDW lengths count their own 4 bytes, as z/OS writes them. False: they count
    only the data after them (files written by some transfer tools; Cobrix's default,
    whose ``is_rdw_part_of_record_length=true`` is this option's default)."""
    rdw_adjustment: int = 0
    """Added to every RDW length after ``rdw_includes_header`` (a correction for files whose
    lengths are off by a constant)."""
    rdw_in_record: bool = False
    """The copybook describes the 4-byte RDW too (e.g. a ``RECORD-LENGTH PIC 9(4) COMP``
    field first): records are decoded from the RDW on instead of after it."""
    file_start_offset: int = Field(default=0, ge=0)
    """Bytes of file header to skip."""
    file_end_offset: int = Field(default=0, ge=0)
    """Bytes of file footer to skip."""
    record_start_offset: int = Field(default=0, ge=0)
    """Bytes to skip before every record (inside the record length)."""
    record_end_offset: int = Field(default=0, ge=0)
    """Bytes to skip after every record (inside the record length)."""
    segment_field: str | None = None
    """Field whose value selects the segment layout of each record."""
    segments: dict[str, str] = Field(default_factory=dict)
    """Segment value -> name of the REDEFINES group to decode for it."""
    segment_children: dict[str, list[str]] = Field(default_factory=dict)
    """Hierarchical segments: parent segment group -> its child segment groups (groups named
    in ``segments``, at the record's top level). Each root segment becomes one row, its
    children nested in its struct as a list column per child group, in file order;
    ``_record_no`` counts these assembled records. The output is nested (as with
    ``flatten: false``); a segment that cannot be placed is quarantined."""
    flatten: bool = True
    """True: flat columns (GROUP_FIELD, NAME_1, NAME_2); False: nested structs and lists."""
    floating_point: Literal["ibm", "ieee"] = "ibm"
    """Format of COMP-1/COMP-2 fields: IBM hexadecimal float or IEEE 754."""
    comp5_little_endian: bool = False
    """Read COMP-5 (native binary) fields little-endian, as on x86 rather than z/OS."""
    variable_size_occurs: bool = False
    """Tables take only the elements their OCCURS DEPENDING ON count says (no padding to the
    maximum): the fields after a table move with its count, and fixed-format (F/FB) records
    are as long as their counts make them, back to back. Sizing F/FB records this way reads
    them one at a time, much slower than fixed-length records."""
    occurs_mappings: dict[str, dict[str, int]] = Field(default_factory=dict)
    """OCCURS DEPENDING ON tables whose counter holds a code, not a number: table name ->
    counter value -> number of elements (e.g. ``{DETAIL: {A: 0, B: 2}}``). A value the
    mapping lacks quarantines the record."""
    string_trim: Literal["right", "both", "left", "none"] = "right"
    """Which spaces to trim from text fields."""
    control_chars: Literal["keep", "space", "drop"] = "keep"
    """Control characters in text fields: keep them, turn them into spaces (then trimmed), or
    leave them out of the text."""
    blank_text: Literal["empty", "null"] = "empty"
    """Text fields that are empty after trimming: empty strings, or nulls."""
    invalid_values: Literal["quarantine", "null", "replace"] = "quarantine"
    """Record with undecodable bytes in a field: quarantine it, or keep it with a null value
    (``replace``: like null, but text keeps its readable part, bytes the code page lacks
    becoming U+FFFD). Fields under a REDEFINES become null either way (one overlay is
    usually invalid)."""
    nul_as_blank: bool = False
    """In DISPLAY numbers, read 0x00 bytes as blanks (padding that some extract tools write,
    and that Cobrix accepts). By default they are invalid digits, as on z/OS."""
    debug: Literal["none", "hex", "raw"] = "none"
    """Add a ``<field>_debug`` column after every field with its bytes, as hex text or raw
    binary, to check a decoding against the data."""
    group_text: list[str] = Field(default_factory=list)
    """Groups (outside any OCCURS) also read whole as one text column ``<GROUP>_TEXT`` next
    to the group, e.g. an account number kept as parts and as one string."""
    workers: Literal["auto"] | PositiveInt = "auto"
    """Processes that decode the file in parallel: ``auto`` one per core (fewer for a file
    under 8 MB a process), ``1`` one process. Fixed-length (F/FB) files are cut every so
    many records and VB files between blocks; the result is the same as on one core,
    ``_record_no`` and quarantine included. V, VBS and D files, records sized by their
    OCCURS counts, packed files, ``segment_children`` and a read with a row limit are
    read on one core.
    On a workspace with ``engine: spark`` the connect stage has the parts decoded by
    Spark's executors, ``auto`` one per executor core (docs/scale.md)."""
    keep_fillers: bool | Literal["groups"] = False
    """Also output FILLER fields, numbered in record order (FILLER_1, FILLER_2, ...);
    ``groups``: only FILLER groups, with their named fields (Cobrix's
    ``drop_group_fillers=false``)."""

    @model_validator(mode="after")
    def _check(self) -> CopybookOptions:
        if self.segments and self.segment_field is None:
            raise ValueError("segments needs segment_field: the field whose value selects them")
        if self.segment_children and not self.segments:
            raise ValueError(
                "segment_children needs segments: which segment id selects which group"
            )
        return self
