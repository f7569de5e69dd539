"""Just enough Verilog-2005 to place meaningful mutations.

``tokenize`` splits a source file into tokens with their offset, line and
column, dropping comments and whitespace and turning every compiler
directive line (`include, `define with its continuations, `timescale, ...)
into one ``directive`` token that nothing mutates.

``find_sites`` walks the tokens as module items and procedural statements
and returns every place a mutation operator applies, as ``Site`` records:
a source span, its original text and one replacement.  What it leaves
alone, so that mutants change behaviour rather than structure:

* one extra iteration of a for loop (``i < N`` -> ``i <= N``): the loops of
  this RTL walk arrays, where it only writes past the end, which Verilog
  ignores; the loop runs one iteration short instead (``loop_short``);
* the module header (parameter and port lists), every declaration
  (input/output/wire/reg/parameter/localparam/integer/genvar, so every
  [N-1:0] width), except the expression that initialises a net
  (``wire x = a + b;`` is logic, like an ``assign``);
* ``initial`` blocks (parameter checks and the SRAM models' $readmemh
  init: simulation only), system task calls, generate-if conditions,
  instance parameter overrides ``#(...)``, the left-hand side of every
  assignment, replication counts ``{N{...}}``, and the init / step parts
  of ``for`` headers (a mutated step would loop forever);
* macro uses (`SPW_...: generated constants) and x / z literals.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["OP_NAMES", "ParseError", "Site", "Token", "find_sites", "tokenize"]


@dataclass(frozen=True)
class Token:
    kind: str      # id, sysid, num, str, op, macro, directive
    text: str
    pos: int       # offset in the source
    line: int      # 1-based
    col: int       # 1-based

    @property
    def end(self) -> int:
        return self.pos + len(self.text)


@dataclass(frozen=True)
class Site:
    """One mutation: replace source[pos:pos+len(orig)] by ``repl``."""
    op: str        # operator name, e.g. add_sub, lt_le, const_inc, cond_neg, drop_stmt
    family: str    # operator class, for stratified sampling
    pos: int
    line: int
    col: int
    orig: str
    repl: str
    context: str   # always | assign | function | instance | decl


DIRECTIVES = {"include", "define", "undef", "ifdef", "ifndef", "elsif", "else", "endif", "timescale",
              "default_nettype", "resetall", "celldefine", "endcelldefine", "line", "pragma",
              "unconnected_drive", "nounconnected_drive", "begin_keywords", "end_keywords"}

# longest first, so that the tokenizer matches "<<<" before "<<" before "<"
OPERATORS = sorted(["<<<", ">>>", "===", "!==", "==", "!=", "<=", ">=", "&&", "||", "<<", ">>", "~&", "~|",
                    "~^", "^~", "**", "+:", "-:", "->", "+", "-", "*", "/", "%", "<", ">", "!", "~", "&",
                    "|", "^", "=", "?", ":", ";", ",", ".", "(", ")", "[", "]", "{", "}", "@", "#", "'"],
                   key=len, reverse=True)

_NUM = re.compile(r"""
    (?:(?P<size>[0-9][0-9_]*)\s*)?'(?P<signed>[sS])?(?P<base>[bBoOdDhH])\s*(?P<digits>[0-9a-fA-FxXzZ?_]+)
  | (?P<real>[0-9][0-9_]*\.[0-9_]+(?:[eE][+-]?[0-9_]+)?)
  | (?P<dec>[0-9][0-9_]*)
""", re.VERBOSE)
_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_SYSID = re.compile(r"\$[A-Za-z0-9_$]+")

# symbol -> name used in operator names and mutant ids (shell-safe)
OP_NAMES = {"+": "add", "-": "sub", "&": "and", "|": "or", "^": "xor", "==": "eq", "!=": "ne",
            "===": "ceq", "!==": "cne", "&&": "land", "||": "lor", "<<": "shl", ">>": "shr",
            "<<<": "ashl", ">>>": "ashr", "<": "lt", "<=": "le", ">": "gt", ">=": "ge",
            "!": "lnot", "~": "not"}

# binary operator swaps: symbol -> (family, replacements)
BINARY_SWAPS = {
    "+": ("arith", ["-"]), "-": ("arith", ["+"]),
    "&": ("bitwise", ["|", "^"]), "|": ("bitwise", ["&", "^"]), "^": ("bitwise", ["|", "&"]),
    "==": ("equality", ["!="]), "!=": ("equality", ["=="]),
    "===": ("equality", ["!=="]), "!==": ("equality", ["==="]),
    "&&": ("logical", ["||"]), "||": ("logical", ["&&"]),
    "<<": ("shift", [">>"]), ">>": ("shift", ["<<"]), "<<<": ("shift", [">>>"]), ">>>": ("shift", [">>"]),
    # off-by-one and direction of relational compares
    "<": ("compare", ["<=", ">"]), "<=": ("compare", ["<", ">="]),
    ">": ("compare", [">=", "<"]), ">=": ("compare", [">", "<="]),
}

DECL_KEYWORDS = {"input", "output", "inout", "wire", "reg", "logic", "integer", "genvar", "parameter",
                 "localparam", "real", "realtime", "time", "tri", "tri0", "tri1", "wand", "wor",
                 "supply0", "supply1", "signed", "unsigned", "event", "specparam", "bit"}
NET_KEYWORDS = {"wire", "tri", "wand", "wor", "logic"}
SKIP_ITEM_KEYWORDS = {"defparam", "specify", "primitive", "timeunit", "timeprecision", "import"}
ALWAYS_KEYWORDS = {"always", "always_comb", "always_ff", "always_latch"}
OPERAND_END = {")", "]", "}"}


class ParseError(Exception):
    pass


def tokenize(src: str) -> list[Token]:
    toks: list[Token] = []
    i, n, line, line_start = 0, len(src), 1, 0

    def add(kind, start, end):
        toks.append(Token(kind, src[start:end], start, line, start - line_start + 1))

    while i < n:
        c = src[i]
        if c == "\n":
            line += 1
            line_start = i + 1
            i += 1
        elif c in " \t\r\f\v":
            i += 1
        elif src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            line += src.count("\n", i, j)
            k = src.rfind("\n", i, j)
            if k >= 0:
                line_start = k + 1
            i = j
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            add("str", i, min(j + 1, n))
            i = j + 1
        elif c == "`":
            m = _ID.match(src, i + 1)
            if m is None:
                raise ParseError(f"line {line}: stray backtick")
            if m.group(0) in DIRECTIVES:
                # the whole line, with backslash continuations (`define)
                j = i
                while True:
                    k = src.find("\n", j)
                    if k < 0:
                        k = n
                        break
                    if src[k - 1] == "\\" or src[k - 2:k] == "\\\r":
                        j = k + 1
                        continue
                    break
                add("directive", i, k)
                line += src.count("\n", i, k)
                k2 = src.rfind("\n", i, k)
                if k2 >= 0:
                    line_start = k2 + 1
                i = k
            else:
                add("macro", i, m.end())
                i = m.end()
        elif c == "\\":   # escaped identifier
            j = i
            while j < n and not src[j].isspace():
                j += 1
            add("id", i, j)
            i = j
        elif c == "$":
            m = _SYSID.match(src, i)
            if m is None:
                add("op", i, i + 1)
                i += 1
            else:
                add("sysid", i, m.end())
                i = m.end()
        elif c.isdigit() or (c == "'" and i + 1 < n and src[i + 1] in "sSbBoOdDhH"):
            m = _NUM.match(src, i)
            if m is None or m.end() == i:
                raise ParseError(f"line {line}: bad number")
            add("num", i, m.end())
            i = m.end()
        elif c.isalpha() or c == "_":
            m = _ID.match(src, i)
            add("id", i, m.end())
            i = m.end()
        else:
            for op in OPERATORS:
                if src.startswith(op, i):
                    add("op", i, i + len(op))
                    i += len(op)
                    break
            else:
                raise ParseError(f"line {line}: unexpected character {c!r}")
    return toks


# --------------------------------------------------------------------------- literals
def _literal_mutations(text: str) -> list[tuple[str, str]]:
    """(op, replacement) pairs for a numeric literal: 1-bit flips, value +-1."""
    m = _NUM.fullmatch(text)
    if m is None or m.group("real"):
        return []
    if m.group("dec") is not None:
        v = int(m.group("dec").replace("_", ""))
        out = [("const_inc", str(v + 1))]
        if v > 0:
            out.append(("const_dec", str(v - 1)))
        return out
    digits = m.group("digits").replace("_", "")
    if re.search(r"[xXzZ?]", digits):
        return []
    base = m.group("base").lower()
    radix = {"b": 2, "o": 8, "d": 10, "h": 16}[base]
    v = int(digits, radix)
    size = int(m.group("size").replace("_", "")) if m.group("size") else None
    prefix = (m.group("size") or "") + "'" + (m.group("signed") or "") + m.group("base")

    def fmt(x: int) -> str:
        if radix == 2:
            s = format(x, "b")
            if size:
                s = s.zfill(size)
        elif radix == 8:
            s = format(x, "o")
        elif radix == 10:
            s = str(x)
        else:
            s = format(x, "X" if any(ch.isupper() for ch in digits) else "x")
            if size:
                s = s.zfill(len(digits))
        return prefix + s

    if size == 1:
        return [("const_flip", fmt(v ^ 1))]
    # +-1, wrapping within the literal's width (an unsized literal does not wrap below 0)
    mod = 1 << size if size else None
    out = [("const_inc", fmt(v + 1 if mod is None else (v + 1) % mod))]
    if mod is not None or v > 0:
        out.append(("const_dec", fmt(v - 1 if mod is None else (v - 1) % mod)))
    return out


# --------------------------------------------------------------------------- the walk
class _Walker:
    def __init__(self, src: str, toks: list[Token]):
        self.src = src
        self.t = [t for t in toks if t.kind != "directive"]
        self.i = 0
        self.sites: list[Site] = []

    # ---- token helpers
    def peek(self, k: int = 0) -> Token | None:
        j = self.i + k
        return self.t[j] if j < len(self.t) else None

    def at(self, *texts: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.text in texts

    def next(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise ParseError("unexpected end of file")
        self.i += 1
        return tok

    def expect(self, text: str) -> Token:
        tok = self.next()
        if tok.text != text:
            raise ParseError(f"line {tok.line}:{tok.col}: expected {text!r}, got {tok.text!r}")
        return tok

    def match_close(self, j: int) -> int:
        """Index of the bracket closing the one at token index j."""
        pairs = {"(": ")", "[": "]", "{": "}"}
        stack = []
        for k in range(j, len(self.t)):
            x = self.t[k].text
            if self.t[k].kind == "op" and x in pairs:
                stack.append(pairs[x])
            elif self.t[k].kind == "op" and x in (")", "]", "}"):
                if not stack or stack.pop() != x:
                    raise ParseError(f"line {self.t[k].line}: unbalanced {x!r}")
                if not stack:
                    return k
        raise ParseError(f"line {self.t[j].line}: unclosed {self.t[j].text!r}")

    def assignments(self, k: int, semi: int) -> None:
        """The right-hand sides of ``a = expr, b = expr`` between token ``k``
        and the semicolon at ``semi``."""
        while k < semi:
            eq = self.find_at_depth0(k, {"="}, semi)
            if eq < 0:
                break
            comma = self.find_at_depth0(eq + 1, {","}, semi)
            end = semi if comma < 0 else comma
            self.expr(eq + 1, end, "assign")
            k = end + 1

    def find_at_depth0(self, j: int, texts: set[str], stop: int | None = None) -> int:
        """First index >= j of a token in ``texts`` outside any bracket."""
        depth = 0
        end = len(self.t) if stop is None else stop
        for k in range(j, end):
            tok = self.t[k]
            if tok.kind == "op":
                if depth == 0 and tok.text in texts:
                    return k
                if tok.text in ("(", "[", "{"):
                    depth += 1
                elif tok.text in (")", "]", "}"):
                    depth -= 1
            elif tok.kind == "id" and depth == 0 and tok.text in texts:
                return k
        return -1

    def skip_to_semicolon(self) -> int:
        k = self.find_at_depth0(self.i, {";"})
        if k < 0:
            raise ParseError(f"line {self.peek().line}: no ';'")
        self.i = k + 1
        return k

    def span(self, a: int, b: int) -> tuple[int, str]:
        """Source offset and text of tokens a..b-1."""
        start, end = self.t[a].pos, self.t[b - 1].end
        return start, self.src[start:end]

    def add(self, op, family, tok_or_pos, orig, repl, context, line=None, col=None):
        if isinstance(tok_or_pos, Token):
            pos, line, col = tok_or_pos.pos, tok_or_pos.line, tok_or_pos.col
        else:
            pos = tok_or_pos
        self.sites.append(Site(op, family, pos, line, col, orig, repl, context))

    # ---- expressions
    def expr(self, a: int, b: int, context: str) -> None:
        """Mutation sites in the expression tokens a..b-1."""
        skip = set()
        # replication counts {N{...}}: tokens between '{' and the inner '{'
        for k in range(a, b):
            if self.t[k].text == "{" and self.t[k].kind == "op":
                depth = 0
                for m in range(k + 1, b):
                    x = self.t[m].text
                    if self.t[m].kind != "op":
                        continue
                    if depth == 0 and x == "{":
                        skip.update(range(k + 1, m))
                        break
                    if depth == 0 and x in (",", "}"):
                        break
                    if x in ("(", "["):
                        depth += 1
                    elif x in (")", "]"):
                        depth -= 1
        # part-selects: the range [msb:lsb] and the width of [base +: width]
        # are widths, not logic (the base of +: / -: and bit-selects are kept)
        for k in range(a, b):
            if self.t[k].text == "[" and self.t[k].kind == "op":
                close = self.match_close(k)
                colon = self.find_at_depth0(k + 1, {":"}, close)
                if colon > 0 and self.find_at_depth0(k + 1, {"?"}, close) < 0:
                    skip.update(range(k + 1, close))
                    continue
                plus = self.find_at_depth0(k + 1, {"+:", "-:"}, close)
                if plus > 0:
                    skip.update(range(plus, close))
        # system function calls other than $signed/$unsigned: skip their arguments
        for k in range(a, b):
            tok = self.t[k]
            if tok.kind == "sysid" and tok.text not in ("$signed", "$unsigned") and k + 1 < b \
                    and self.t[k + 1].text == "(":
                skip.update(range(k + 1, self.match_close(k + 1) + 1))
        for k in range(a, b):
            if k in skip:
                continue
            tok = self.t[k]
            prev = self.t[k - 1] if k > a else None
            operand_before = prev is not None and (prev.kind in ("id", "num", "macro", "str", "sysid")
                                                   or prev.text in OPERAND_END)
            if tok.kind == "num":
                for op, repl in _literal_mutations(tok.text):
                    self.add(op, "constant", tok, tok.text, repl, context)
            elif tok.kind == "op" and tok.text in BINARY_SWAPS and operand_before:
                family, repls = BINARY_SWAPS[tok.text]
                for r in repls:
                    self.add(f"{OP_NAMES[tok.text]}_{OP_NAMES[r]}", family, tok, tok.text, r, context)
            elif tok.kind == "op" and tok.text in ("!", "~") and not operand_before \
                    and k + 1 < b and self.t[k + 1].text not in ("&", "|", "^"):
                self.add(f"drop_{OP_NAMES[tok.text]}", "negation", tok, tok.text, "", context)
            elif tok.kind == "op" and tok.text == "?":
                # ?: binds loosest: the condition runs back to the nearest
                # delimiter at this bracket depth
                depth = 0
                s = k - 1
                while s >= a:
                    x = self.t[s].text if self.t[s].kind == "op" else None
                    if x in (")", "]", "}"):
                        depth += 1
                    elif x in ("(", "[", "{"):
                        if depth == 0:
                            break
                        depth -= 1
                    elif depth == 0 and x in (",", "?", ":"):
                        break
                    s -= 1
                if s + 1 < k:
                    pos, text = self.span(s + 1, k)
                    first = self.t[s + 1]
                    self.add("tern_neg", "condition", pos, text, f"!({text})", context, first.line, first.col)

    def loop_condition(self, a: int, b: int, context: str) -> None:
        """The condition of a for loop, ``i < N`` or ``i <= N``: the usual
        sites, except that the off-by-one runs the loop one iteration short
        (``i < (N) - 1``, ``i < N``) and never one long: every loop of this
        RTL walks an array or a bus, where an extra iteration only touches
        elements past the end, which Verilog ignores (an equivalent mutant)."""
        saved = len(self.sites)
        self.expr(a, b, context)
        rel = self.find_at_depth0(a, {"<", "<="}, b)
        if rel < 0:
            return
        tok = self.t[rel]
        self.sites[saved:] = [x for x in self.sites[saved:] if not (x.pos == tok.pos and x.op == "lt_le")]
        if tok.text == "<" and rel + 1 < b:
            pos, text = self.span(rel + 1, b)
            first = self.t[rel + 1]
            self.add("loop_short", "compare", pos, text, f"({text}) - 1", context, first.line, first.col)

    def condition(self, lp: int, context: str) -> None:
        """``( cond )`` of an if at token lp: negated and stuck conditions,
        plus the expression's own sites."""
        rp = self.match_close(lp)
        if rp == lp + 1:
            raise ParseError(f"line {self.t[lp].line}: empty condition")
        pos, text = self.span(lp + 1, rp)
        first = self.t[lp + 1]
        self.add("cond_neg", "condition", pos, text, f"!({text})", context, first.line, first.col)
        self._stuck(pos, text, context, first)
        if first.text == "!" and rp == lp + 3:
            # if (!x): dropping the '!' is the same mutant as cond_neg
            self.i = rp + 1
            return
        self.expr(lp + 1, rp, context)
        self.i = rp + 1

    def _stuck(self, pos, text, context, first):
        if text not in ("1'b1", "1"):
            self.add("cond_true", "stuck", pos, text, "1'b1", context, first.line, first.col)
        if text not in ("1'b0", "0"):
            self.add("cond_false", "stuck", pos, text, "1'b0", context, first.line, first.col)

    # ---- procedural statements
    def statement(self, context: str, emit: bool = True) -> None:
        """One procedural statement; ``emit`` False parses without recording
        sites (initial blocks)."""
        if not emit:
            saved = len(self.sites)
            self.statement(context, True)
            del self.sites[saved:]
            return
        tok = self.peek()
        if tok is None:
            raise ParseError("unexpected end of file in a statement")
        x = tok.text
        if x == "begin":
            self.next()
            if self.at(":"):
                self.next()
                self.next()
            while not self.at("end"):
                if self.peek().text in DECL_KEYWORDS:   # block-local declarations
                    self.skip_to_semicolon()
                else:
                    self.statement(context)
            self.next()
            if self.at(":"):
                self.next()
                self.next()
        elif x == "if":
            self.next()
            if not self.at("("):
                raise ParseError(f"line {tok.line}: if without '('")
            self.condition(self.i, context)
            self.statement(context)
            if self.at("else"):
                self.next()
                self.statement(context)
        elif x in ("case", "casez", "casex"):
            self.next()
            rp = self.match_close(self.i)
            self.expr(self.i + 1, rp, context)
            self.i = rp + 1
            while not self.at("endcase"):
                if self.at("default"):
                    self.next()
                    if self.at(":"):
                        self.next()
                else:
                    colon = self.find_at_depth0(self.i, {":"})
                    if colon < 0:
                        raise ParseError(f"line {self.peek().line}: case item without ':'")
                    self.expr(self.i, colon, context)
                    self.i = colon + 1
                self.statement(context)
            self.next()
        elif x == "for":
            self.next()
            lp = self.i
            rp = self.match_close(lp)
            s1 = self.find_at_depth0(lp + 1, {";"}, rp)
            s2 = self.find_at_depth0(s1 + 1, {";"}, rp)
            if s1 < 0 or s2 < 0:
                raise ParseError(f"line {tok.line}: bad for header")
            self.loop_condition(s1 + 1, s2, context)   # the condition only
            self.i = rp + 1
            self.statement(context)
        elif x in ("while", "repeat"):
            self.next()
            rp = self.match_close(self.i)
            self.expr(self.i + 1, rp, context)
            self.i = rp + 1
            self.statement(context)
        elif x == "forever":
            self.next()
            self.statement(context)
        elif x in ("@", "#"):
            self.next()
            if self.at("("):
                self.i = self.match_close(self.i) + 1
            else:
                self.next()                       # @* or #delay
            self.statement(context)
        elif x == "wait":
            self.next()
            self.i = self.match_close(self.i) + 1
            self.statement(context)
        elif x == ";":
            self.next()
        elif tok.kind == "sysid" or x in ("disable", "->", "force", "release", "assign", "deassign"):
            self.skip_to_semicolon()
        elif x == "fork":
            self.next()
            while not self.at("join", "join_any", "join_none"):
                self.statement(context)
            self.next()
        else:
            start = self.i
            semi = self.find_at_depth0(start, {";"})
            if semi < 0:
                raise ParseError(f"line {tok.line}: statement without ';'")
            eq = self.find_at_depth0(start, {"=", "<="}, semi)
            if eq > start:
                rhs = eq + 1
                if self.t[rhs].text == "#":           # intra-assignment delay
                    rhs += 2
                self.expr(rhs, semi, context)
                if context == "always":
                    pos, text = self.span(start, semi + 1)
                    self.add("drop_stmt", "statement", pos, text, ";", context, tok.line, tok.col)
            self.i = semi + 1

    # ---- module items
    def module(self) -> None:
        self.expect("module")
        # header: name, #( parameters ), ( ports ) ;  -- never mutated
        self.skip_to_semicolon()
        self.items(until={"endmodule"})
        self.expect("endmodule")

    def items(self, until: set[str]) -> None:
        while not self.at(*until):
            if self.peek() is None:
                raise ParseError("unexpected end of file in a module")
            self.item()

    def item(self) -> None:
        tok = self.peek()
        x = tok.text
        if x in ("generate", "endgenerate") or x == ";":
            self.next()
        elif x in DECL_KEYWORDS:
            start = self.i
            semi = self.skip_to_semicolon()
            if x in NET_KEYWORDS:
                # net declaration assignments: wire [..] a = expr, b = expr;
                self.assignments(start, semi)
        elif x == "assign":
            self.next()
            semi = self.find_at_depth0(self.i, {";"})
            self.assignments(self.i, semi)
            self.i = semi + 1
        elif x in ALWAYS_KEYWORDS:
            self.next()
            self.statement("always")
        elif x == "initial":
            self.next()
            self.statement("initial", emit=False)
        elif x in ("function", "task"):
            end = "endfunction" if x == "function" else "endtask"
            self.next()
            self.skip_to_semicolon()                  # header
            while self.peek().text in DECL_KEYWORDS:  # argument and local declarations
                self.skip_to_semicolon()
            while not self.at(end):
                self.statement("function")
            self.next()
        elif x == "for":                              # generate loop
            self.next()
            lp = self.i
            rp = self.match_close(lp)
            s1 = self.find_at_depth0(lp + 1, {";"}, rp)
            s2 = self.find_at_depth0(s1 + 1, {";"}, rp)
            self.loop_condition(s1 + 1, s2, "generate")
            self.i = rp + 1
            self.gen_block()
        elif x == "if":                               # generate if: parameter condition, not mutated
            self.next()
            self.i = self.match_close(self.i) + 1
            self.gen_block()
            if self.at("else"):
                self.next()
                self.gen_block()
        elif x == "case":                             # generate case
            self.next()
            self.i = self.match_close(self.i) + 1
            while not self.at("endcase"):
                colon = self.find_at_depth0(self.i, {":"})
                self.i = colon + 1
                self.gen_block()
            self.next()
        elif x == "begin":
            self.gen_block()
        elif x in SKIP_ITEM_KEYWORDS:
            if x == "specify":
                while not self.at("endspecify"):
                    self.next()
                self.next()
            else:
                self.skip_to_semicolon()
        elif tok.kind == "id":
            self.instance()
        else:
            raise ParseError(f"line {tok.line}:{tok.col}: unexpected {x!r} at module level")

    def gen_block(self) -> None:
        if self.at("begin"):
            self.next()
            if self.at(":"):
                self.next()
                self.next()
            self.items(until={"end"})
            self.next()
        else:
            self.item()

    def instance(self) -> None:
        """module_name [#(...)] inst [range] ( connections ) {, inst (...)} ;"""
        self.next()
        if self.at("#"):
            self.next()
            self.i = self.match_close(self.i) + 1     # parameter overrides: not mutated
        semi = self.find_at_depth0(self.i, {";"})
        while self.i < semi:
            if self.at("("):
                rp = self.match_close(self.i)
                k = self.i + 1
                while k < rp:
                    if self.t[k].text == ".":             # .port(expr)
                        lp = k + 2
                        cp = self.match_close(lp)
                        if cp > lp + 1:
                            self.expr(lp + 1, cp, "instance")
                        k = cp + 1
                    elif self.t[k].text == ",":
                        k += 1
                    else:                                 # positional
                        comma = self.find_at_depth0(k, {","}, rp)
                        end = rp if comma < 0 else comma
                        self.expr(k, end, "instance")
                        k = end
                self.i = rp + 1
            else:
                self.next()
        self.i = semi + 1


def find_sites(src: str) -> list[Site]:
    """Every mutation site of one Verilog source file, in source order."""
    w = _Walker(src, tokenize(src))
    while w.peek() is not None:
        if w.at("module", "macromodule"):
            w.module()
        else:
            w.next()
    return sorted(w.sites, key=lambda s: (s.pos, s.op))
