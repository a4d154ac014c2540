"""Read gitleaks' rule generator sources (cmd/generate/config/rules/*.go)
and return the true-positive (tps) and false-positive (fps) example
strings of each rule, as gitleaks' own Validate() would see them.

Literal strings are taken as they are.  gitleaks makes most of its tps at
build time from a regex (secrets.NewSecret(utils.AlphaNumeric("32")));
such a value is made here with a seeded generator over the same regex, and
utils.GenerateSampleSecrets(id, s) -- which gitleaks expands into ~25
assignment forms -- becomes one of those forms, picked by the seed."""
import random
import re
import sre_parse
import sre_constants as C

HELPERS = {
	"Numeric": "[0-9]{%s}", "Hex": "[a-f0-9]{%s}",
	"AlphaNumeric": "[a-z0-9]{%s}",
	"AlphaNumericExtendedShort": "[a-z0-9_-]{%s}",
	"AlphaNumericExtended": "[a-z0-9=_\\-]{%s}",
	"AlphaNumericExtendedLong": "[a-z0-9\\/=_\\+\\-]{%s}",
}
# A few of generate.go's GenerateSampleSecrets forms (one is picked per call).
FORMS = [
	'{i}Token="{s}"', '{i}Token = {s}', '{i}_token: {s}',
	"{i}_token: '{s}'", 'string {i}Token = "{s}";', '{i}Token := "{s}"',
	'String {i}Token = "{s}";', "{i}Token = '{s}'", '{i}Token = "{s}"',
	'System.setProperty("{I}_TOKEN", "{s}")', '{I}_TOKEN = "{s}"',
	'  "{i}Token" => "{s}"', 'var {i}Token = "{s}"',
]


class Unsupported(Exception):
	pass


def gen_regex(pattern, rnd):
	"""One string that `pattern` matches (simple patterns only)."""
	tree = sre_parse.parse(pattern)
	return "".join(_gen(tree, rnd))


def _gen(items, rnd):
	out = []
	for op, av in items:
		if op == C.LITERAL:
			out.append(chr(av))
		elif op == C.IN:
			out.append(_pick_class(av, rnd))
		elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
			lo, hi, sub = av
			hi = lo + 8 if hi == C.MAXREPEAT else hi
			n = rnd.randint(lo, hi) if lo != hi else lo
			for _ in range(n):
				out.extend(_gen(sub, rnd))
		elif op == C.SUBPATTERN:
			out.extend(_gen(av[-1], rnd))
		elif op == C.BRANCH:
			out.extend(_gen(rnd.choice(av[1]), rnd))
		elif op in (C.AT, C.ASSERT, C.ASSERT_NOT):
			pass
		elif op == C.ANY:
			out.append(rnd.choice("abcdefghijklmnopqrstuvwxyz0123456789"))
		else:
			raise Unsupported(str(op))
	return out


def _pick_class(av, rnd):
	chars = []
	for op, v in av:
		if op == C.LITERAL:
			chars.append(chr(v))
		elif op == C.RANGE:
			chars.extend(chr(c) for c in range(v[0], v[1] + 1))
		elif op == C.CATEGORY:
			if v == C.CATEGORY_DIGIT:
				chars.extend("0123456789")
			elif v == C.CATEGORY_WORD:
				chars.extend("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
			else:
				raise Unsupported("category")
		else:
			raise Unsupported(str(op))
	if not chars:
		raise Unsupported("empty class")
	return rnd.choice(chars)


# --- a small reader of Go expressions ------------------------------------

TOKEN = re.compile(r'''
	(?P<raw>`[^`]*`) |
	(?P<str>"(?:[^"\\\n]|\\.)*") |
	(?P<ident>[A-Za-z_][A-Za-z0-9_.]*) |
	(?P<num>[0-9]+) |
	(?P<ell>\.\.\.) |
	(?P<op>[(){}\[\],+:=]) |
	(?P<ws>\s+|//[^\n]*)
''', re.X)


def go_unquote(s):
	if s.startswith("`"):
		return s[1:-1]
	body = s[1:-1]
	return bytes(body, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def tokenize(src):
	pos, out = 0, []
	while pos < len(src):
		m = TOKEN.match(src, pos)
		if not m:
			out.append(("other", src[pos]))
			pos += 1
			continue
		pos = m.end()
		kind = m.lastgroup
		if kind == "ws":
			continue
		out.append((kind, m.group()))
	return out


class Parser:
	def __init__(self, toks, rnd):
		self.t, self.i, self.rnd = toks, 0, rnd

	def peek(self):
		return self.t[self.i] if self.i < len(self.t) else ("eof", "")

	def take(self):
		tok = self.peek()
		self.i += 1
		return tok

	def expr(self):
		"""A value: a string, or a list of strings (from append/[]string)."""
		val = self.term()
		while self.peek() == ("op", "+"):
			self.take()
			rhs = self.term()
			if isinstance(val, list) or isinstance(rhs, list):
				raise Unsupported("+ on list")
			val = val + rhs
		return val

	def args(self):
		out = []
		if self.take() != ("op", "("):
			raise Unsupported("(")
		while self.peek() != ("op", ")"):
			if self.peek()[0] == "eof":
				raise Unsupported("eof")
			out.append(self.expr())
			if self.peek() == ("ell", "..."):
				self.take()
			if self.peek() == ("op", ","):
				self.take()
		self.take()
		return out

	def term(self):
		kind, text = self.take()
		if kind in ("str", "raw"):
			return go_unquote(text)
		if kind == "op" and text == "[":
			# []string{...}
			if self.take() != ("op", "]"):
				raise Unsupported("[")
			self.take()  # string
			return self.brace_list()
		if kind == "ident":
			name = text.split(".")[-1]
			if name in ("tps", "fps"):
				return []
			if self.peek() != ("op", "("):
				raise Unsupported("ident " + text)
			a = self.args()
			if name == "append":
				out = []
				for x in a:
					out.extend(x if isinstance(x, list) else [x])
				return out
			if name == "NewSecret":
				return gen_regex(a[0], self.rnd)
			if name in HELPERS:
				return HELPERS[name] % a[0]
			if name == "Hex8_4_4_4_12":
				return "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
			if name == "GenerateSampleSecrets":
				form = self.rnd.choice(FORMS)
				return [form.replace("{i}", a[0]).replace("{I}", a[0].upper()).replace("{s}", a[1])]
			if name == "GenerateSampleSecret":
				return "%s_api_token = \"%s\"" % (a[0], a[1])
			if name in ("Repeat",):
				return a[0] * int(a[1]) if isinstance(a[1], str) and a[1].isdigit() else a[0] * 8
			raise Unsupported("call " + text)
		raise Unsupported("token %s %s" % (kind, text))

	def brace_list(self):
		if self.take() != ("op", "{"):
			raise Unsupported("{")
		out = []
		while self.peek() != ("op", "}"):
			if self.peek()[0] == "eof":
				raise Unsupported("eof")
			try:
				v = self.expr()
				if self.peek() == ("op", ":"):  # map literal key: value
					self.take()
					self.expr()
				out.extend(v if isinstance(v, list) else [v])
			except Unsupported:
				self.skip_element()
			if self.peek() == ("op", ","):
				self.take()
		self.take()
		return out

	def skip_element(self):
		depth = 0
		while True:
			kind, text = self.peek()
			if kind == "eof":
				return
			if depth == 0 and (kind, text) in (("op", ","), ("op", "}")):
				return
			if text in "({[":
				depth += 1
			if text in ")}]":
				depth -= 1
			self.take()


STMT = re.compile(r'^\s*(tps|fps)\s*(?::=|=)\s*', re.M)


def rule_examples(src, seed):
	"""[(rule_id, 'tp'|'fp', string)] for one Go file."""
	rnd = random.Random(seed)
	out = []
	funcs = re.split(r'\nfunc ', src)
	for fn in funcs:
		m = re.search(r'RuleID:\s*"([^"]+)"', fn)
		if not m:
			continue
		rule = m.group(1)
		for sm in STMT.finditer(fn):
			which = sm.group(1)
			toks = tokenize(fn[sm.end():sm.end() + 60000])
			try:
				val = Parser(toks, rnd).expr()
			except (Unsupported, IndexError, UnicodeDecodeError, ValueError):
				continue
			for v in val if isinstance(val, list) else [val]:
				if isinstance(v, str) and v.strip():
					out.append((rule, "tp" if which == "tps" else "fp", v))
	return out
