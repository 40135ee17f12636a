"""Parse COBOL copybook text into a :class:`Layout`.

Hand-written because no maintained Python library parses copybooks into byte offsets
with REDEFINES, OCCURS DEPENDING ON and level-88 values while reporting errors by line
and column (the PyPI ``copybook`` package has none of the error positions and a
per-record decoder). Every problem raises :class:`CopybookError` naming
``file:line:column``.
"""

from __future__ import annotations

import re
from pathlib import Path

from seamline.errors import CopybookError
from seamline.sources.copybook.layout import Field, Layout
from seamline.sources.copybook.lexer import IGNORED_WORDS, USAGES, Token, tokenize
from seamline.sources.copybook.pictures import apply_picture, apply_usage_without_picture


class _Parser:
    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.tokens = tokenize(text)
        self.pos = 0
        self.last_line = max((t.line for t in self.tokens), default=1)

    def error(self, message: str, token: Token | None = None) -> CopybookError:
        if token is None:
            where = f"{self.source}:{self.last_line}:1"
        else:
            where = f"{self.source}:{token.line}:{token.column}"
        return CopybookError(message, where=where)

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def next(self, what: str) -> Token:
        tok = self.peek()
        if tok is None or tok.text == ".":
            raise self.error(f"expected {what} before the end of the entry", tok)
        self.pos += 1
        return tok

    def accept(self, *words: str) -> Token | None:
        tok = self.peek()
        if tok is not None and tok.text.upper() in words:
            self.pos += 1
            return tok
        return None

    def integer(self, what: str) -> int:
        tok = self.next(what)
        if not re.fullmatch(r"[0-9]{1,9}", tok.text):
            raise self.error(f"expected {what}, found {tok.text!r}", tok)
        return int(tok.text)

    def entries(self) -> list[tuple[Field, Token, dict[str, object]]]:
        out: list[tuple[Field, Token, dict[str, object]]] = []
        while self.peek() is not None:
            out.append(self.entry())
        return out

    def entry(self) -> tuple[Field, Token, dict[str, object]]:
        head = self.next("a level number")
        if not re.fullmatch(r"[0-9]{1,2}", head.text):
            raise self.error(
                f"expected a level number (01-49, 66, 77, 88), found {head.text!r}", head
            )
        level = int(head.text)
        if not (1 <= level <= 49 or level in (66, 77, 88)):
            raise self.error(f"level {level} is not 01-49, 66, 77 or 88", head)
        extra: dict[str, object] = {}
        f = Field(name="FILLER", level=level, line=head.line, column=head.column)
        tok = self.peek()
        if tok is not None and tok.text != "." and not self._is_clause(tok.text):
            self.pos += 1
            f.name = tok.text.upper()
        f.is_filler = f.name == "FILLER"
        if not re.fullmatch(r"[A-Z0-9][A-Z0-9_-]*", f.name) or f.name.isdigit():
            raise self.error(f"{f.name!r} is not a valid data name", tok)
        if level == 66:
            self._renames(f, extra)
        elif level == 88:
            self._values88(extra)
        else:
            self._clauses(f, extra)
        end = self.peek()
        if end is None:
            raise self.error(f"entry {f.name} does not end with a period", self.tokens[-1])
        self.pos += 1
        return f, head, extra

    @staticmethod
    def _is_clause(word: str) -> bool:
        w = word.upper()
        return (
            w in USAGES
            or w
            in {
                "PIC",
                "PICTURE",
                "REDEFINES",
                "OCCURS",
                "USAGE",
                "VALUE",
                "VALUES",
                "SIGN",
                "BLANK",
                "RENAMES",
            }
            | IGNORED_WORDS
        )

    def _renames(self, f: Field, extra: dict[str, object]) -> None:
        if not self.accept("RENAMES"):
            raise self.error("a level-66 entry needs RENAMES", self.peek())
        first = self.next("the renamed field").text.upper()
        thru = None
        if self.accept("THRU", "THROUGH"):
            thru = self.next("the last renamed field").text.upper()
        extra["renames"] = (first, thru)

    def _values88(self, extra: dict[str, object]) -> None:
        if not self.accept("VALUE", "VALUES"):
            raise self.error("a level-88 condition needs VALUE", self.peek())
        self.accept("IS", "ARE")
        values: list[str] = []
        while (tok := self.peek()) is not None and tok.text != ".":
            self.pos += 1
            if tok.text.upper() in ("THRU", "THROUGH"):
                high = self.next("the upper bound")
                values[-1] = f"{values[-1]}..{_literal(high.text)}"
                continue
            values.append(_literal(tok.text))
        if not values:
            raise self.error("a level-88 condition needs at least one value", self.peek())
        extra["values"] = values

    def _clauses(self, f: Field, extra: dict[str, object]) -> None:
        while (tok := self.peek()) is not None and tok.text != ".":
            word = tok.text.upper()
            self.pos += 1
            if word in ("PIC", "PICTURE"):
                self.accept("IS")
                pic = self.next("a picture string")
                f.pic = pic.text.upper()
                extra["pic_token"] = pic
            elif word == "USAGE":
                self.accept("IS")
                usage = self.next("a usage")
                if usage.text.upper() not in USAGES:
                    raise self.error(f"unknown USAGE {usage.text!r}", usage)
                f.usage = USAGES[usage.text.upper()]
                extra["usage_set"] = True
            elif word in USAGES:
                f.usage = USAGES[word]
                extra["usage_set"] = True
            elif word == "REDEFINES":
                f.redefines = self.next("the redefined field").text.upper()
            elif word == "OCCURS":
                self._occurs(f, tok)
            elif word in ("VALUE", "VALUES"):
                self.accept("IS", "ARE")
                self.next("a value")
                while self.accept("THRU", "THROUGH"):
                    self.next("a value")
            elif word == "SIGN":
                self.accept("IS")
                self._sign(f)
            elif word in ("LEADING", "TRAILING"):
                self.pos -= 1
                self._sign(f)
            elif word == "BLANK":
                self.accept("WHEN")
                self.next("ZERO")
            elif word in IGNORED_WORDS:
                continue
            elif word in ("NATIONAL", "DISPLAY-1"):
                raise self.error(f"USAGE {word} (double-byte text) is not supported", tok)
            else:
                raise self.error(f"unexpected {tok.text!r} in the entry of {f.name}", tok)

    def _sign(self, f: Field) -> None:
        which = self.next("LEADING or TRAILING")
        if which.text.upper() not in ("LEADING", "TRAILING"):
            raise self.error(f"expected LEADING or TRAILING, found {which.text!r}", which)
        f.sign_leading = which.text.upper() == "LEADING"
        if self.accept("SEPARATE"):
            f.sign_separate = True
            self.accept("CHARACTER")

    def _occurs(self, f: Field, tok: Token) -> None:
        count = self.integer("the number of occurrences")
        f.occurs = count
        if self.accept("TO"):
            f.occurs_min = count
            f.occurs = self.integer("the maximum number of occurrences")
            if f.occurs < f.occurs_min:
                raise self.error(f"OCCURS {count} TO {f.occurs}: the maximum is smaller", tok)
        self.accept("TIMES")
        if self.accept("DEPENDING"):
            self.accept("ON")
            f.depending_on = self.next("the DEPENDING ON field").text.upper()
        while (t := self.peek()) is not None and t.text.upper() in (
            "ASCENDING",
            "DESCENDING",
            "INDEXED",
        ):
            self.pos += 1
            self.accept("KEY", "BY")
            self.accept("IS")
            while (n := self.peek()) is not None and n.text != "." and not self._is_clause(n.text):
                self.pos += 1
        if f.occurs == 0 and f.depending_on is None:
            raise self.error("OCCURS 0 without DEPENDING ON", tok)


def _literal(text: str) -> str:
    if len(text) >= 2 and text[0] in "'\"" and text[-1] == text[0]:
        return text[1:-1].replace(text[0] * 2, text[0])
    return text


def parse_copybook(text: str, source: str = "<copybook>") -> Layout:
    """Parse copybook text; raise :class:`CopybookError` naming line and column on error."""
    parser = _Parser(text, source)
    entries = parser.entries()
    if not entries:
        raise CopybookError("the copybook has no data entries", where=f"{source}:1:1")
    records: list[Field] = []
    stack: list[Field] = []
    last_elementary: Field | None = None
    renames: dict[str, tuple[str, str | None]] = {}
    for f, head, extra in entries:
        if f.level == 88:
            if last_elementary is None:
                raise parser.error("a level-88 condition must follow a data item", head)
            for value in extra["values"]:  # type: ignore[attr-defined]
                last_elementary.values88[str(value)] = f.name
            continue
        if f.level == 66:
            renames[f.name] = extra["renames"]  # type: ignore[assignment]
            continue
        if f.level in (1, 77) or not stack:
            if f.level not in (1, 77):
                raise parser.error(f"level {f.level:02d} {f.name} comes before any 01 record", head)
            stack = [f]
            records.append(f)
        else:
            while stack and stack[-1].level >= f.level:
                stack.pop()
            if not stack:
                raise parser.error(f"level {f.level:02d} {f.name} is not under any group", head)
            parent = stack[-1]
            if parent.pic is not None:
                raise parser.error(
                    f"{parent.name} has a PIC clause, so it cannot contain {f.name}", head
                )
            f.parent = parent
            parent.children.append(f)
            stack.append(f)
        f.dotted = f.name if f.parent is None else f"{f.parent.dotted}.{f.name}"
        pic_token = extra.get("pic_token")
        try:
            if f.pic is not None:
                apply_picture(f)
            elif f.usage in ("COMP-1", "COMP-2", "POINTER", "INDEX"):
                apply_usage_without_picture(f)
        except ValueError as exc:
            raise parser.error(
                str(exc), pic_token if isinstance(pic_token, Token) else head
            ) from None
        last_elementary = f
    layout = Layout(records=records, source=source, renames=renames)
    _inherit_and_size(layout, parser, {id(f): h for f, h, _ in entries})
    return layout


def _inherit_and_size(layout: Layout, parser: _Parser, heads: dict[int, Token]) -> None:
    """Propagate group USAGE/SIGN to children, then compute sizes and offsets."""

    def inherit(group: Field) -> None:
        for child in group.children:
            if child.usage == "DISPLAY" and group.usage != "DISPLAY":
                child.usage = group.usage
                if child.pic is not None:
                    apply_picture(child)
                elif child.usage in ("COMP-1", "COMP-2"):
                    apply_usage_without_picture(child)
            inherit(child)

    def size(f: Field) -> int:
        if not f.children:
            if f.kind == "group":
                raise parser.error(
                    f"{f.name} has neither a PIC clause nor subordinate items", heads.get(id(f))
                )
            return f.size
        end = 0
        cursor = 0
        by_name: dict[str, Field] = {}
        for child in f.children:
            child_size = size(child)
            if child.redefines is not None:
                target = by_name.get(child.redefines)
                if target is None:
                    raise parser.error(
                        f"{child.name} REDEFINES {child.redefines}, which is not an earlier "
                        "item of the same group",
                        heads.get(id(child)),
                    )
                target.redefined = True
                child.offset = target.offset
            else:
                child.offset = cursor
            child.size = child_size
            # a REDEFINES may be larger than the item it redefines: the next item starts
            # after the largest alternative (as IBM COBOL and Cobrix lay it out)
            cursor = max(cursor, child.offset + child.total_size)
            end = max(end, cursor)
            by_name[child.name] = child
        return end

    for record in layout.records:
        inherit(record)
        record.size = size(record)
        record.offset = 0

    def absolute(f: Field, base: int) -> None:
        f.offset += base
        for child in f.children:
            absolute(child, f.offset)

    for record in layout.records:
        for child in record.children:
            absolute(child, 0)
    if layout.record_length == 0:
        raise CopybookError(
            "the copybook describes a record of 0 bytes", where=f"{layout.source}:1:1"
        )


def load_copybook(path: str | Path) -> Layout:
    """Read and parse a copybook file; SourceError-free: raises CopybookError if unreadable."""
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise CopybookError(
            f"cannot read the copybook: {exc.strerror or exc}",
            where=str(p),
            hint="Check source.copybook (relative to the workspace folder).",
        ) from None
    return parse_copybook(text, source=str(p))
